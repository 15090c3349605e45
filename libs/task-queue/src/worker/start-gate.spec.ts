import { describe, expect, it } from '@jest/globals';
import { TaskAbortedError, TaskRateLimitedError } from '../errors/index.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import { SHUTDOWN_REASON } from '../task-queue.constants.js';
import { ActiveRuns } from './active-runs.js';
import { StartGate } from './start-gate.js';

/** Settles `promise` into what it gave: its value, or the error it rejected with. */
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('StartGate', () => {
  it('lets `slots` jobs in at once and the others in the order they came, as slots free', async () => {
    const gate = new StartGate('q', 2);
    const order: string[] = [];
    const enter = (id: string) =>
      gate.enter(id).then((waited) => {
        order.push(`${id}${waited ? ' waited' : ''}`);
      });
    const all = ['a', 'b', 'c', 'd', 'e'].map(enter);
    await turn();
    expect(order).toEqual(['a', 'b']);
    expect(gate.waiting).toBe(3);
    gate.leave();
    await turn();
    expect(order).toEqual(['a', 'b', 'c waited']);
    gate.leave();
    gate.leave();
    await Promise.all(all);
    expect(order).toEqual(['a', 'b', 'c waited', 'd waited', 'e waited']);
    expect(gate.waiting).toBe(0);
  });

  it('does not let a newcomer pass jobs that wait, even with a slot free a moment', async () => {
    const gate = new StartGate('q', 1);
    await gate.enter('a');
    const b = gate.enter('b');
    gate.leave();
    // The slot went to b, which waited: c waits behind it.
    const c = outcome(gate.enter('c'));
    await expect(b).resolves.toBe(true);
    expect(gate.waiting).toBe(1);
    gate.leave();
    await expect(c).resolves.toEqual({ value: true });
  });

  it('refuses an aborted job that waits, and only that one', async () => {
    const gate = new StartGate('q', 1);
    await gate.enter('a');
    const b = outcome(gate.enter('b'));
    const c = outcome(gate.enter('c'));
    expect(gate.abort('b')).toBe(true);
    expect(gate.abort('a')).toBe(false);
    expect(((await b) as { error: unknown }).error).toBeInstanceOf(TaskAbortedError);
    gate.leave();
    await expect(c).resolves.toEqual({ value: true });
  });

  it('refuses every job that waits, and each one after, once closed', async () => {
    const gate = new StartGate('q', 1);
    await gate.enter('a');
    const held = [outcome(gate.enter('b')), outcome(gate.enter('c'))];
    expect(gate.close(SHUTDOWN_REASON)).toBe(2);
    for (const { error } of (await Promise.all(held)) as { error: unknown }[]) {
      expect(error).toBeInstanceOf(WorkerShutdownError);
    }
    await expect(gate.enter('d')).rejects.toBeInstanceOf(WorkerShutdownError);
  });

  it('sends back, rate-limited, the jobs whose turn comes while the queue is paused here', async () => {
    const gate = new StartGate('q', 1);
    await gate.enter('a');
    const b = outcome(gate.enter('b'));
    gate.pauseFor(60_000);
    gate.leave();
    const { error } = (await b) as { error: TaskRateLimitedError };
    expect(error).toBeInstanceOf(TaskRateLimitedError);
    expect(error.seconds).toBeGreaterThan(59);
    expect(error.message).toContain("Queue 'q'");
    // Not let in either while the pause lasts.
    await expect(gate.enter('c')).rejects.toBeInstanceOf(TaskRateLimitedError);
  });
});

describe('ActiveRuns with a gate', () => {
  it('refuses an aborted job that waits in its queue gate instead of remembering the request', async () => {
    const active = new ActiveRuns();
    const gate = new StartGate('emails', 1);
    active.gate('emails', gate);
    await gate.enter('1');
    const held = outcome(gate.enter('2'));
    active.abort('emails', '2');
    expect(((await held) as { error: unknown }).error).toBeInstanceOf(TaskAbortedError);
    expect(active.abortRequested('emails', '2')).toBe(false);
    // Not waiting there: remembered, as without a gate.
    active.abort('emails', '9');
    expect(active.abortRequested('emails', '9')).toBe(true);
  });
});
