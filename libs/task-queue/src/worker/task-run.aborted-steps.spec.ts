import { TaskAbortedError } from '../errors/index.js';
import type { JobSteps, StepRecord } from '../durable/job-steps.js';
import { EventWaiters, waiterField, type EventWaiter } from '../producer/event-waiters.js';
import type { TaskQueue } from '../producer/task-queue.js';
import { ABORTED_REASON } from '../task-queue.constants.js';
import type { TaskContext } from '../interfaces/task-context.interface.js';
import { TaskRun } from './task-run.js';

/** A journal in memory. */
class Journal implements JobSteps {
  readonly records: StepRecord[] = [];

  read(): Promise<StepRecord[]> {
    return Promise.resolve([...this.records]);
  }

  write(record: StepRecord): Promise<void> {
    this.records.push(record);
    return Promise.resolve();
  }
}

/** An index of waiters in memory whose `add` holds until `release` (once it has added). */
class HeldWaiters extends EventWaiters {
  readonly fields = new Set<string>();
  private release!: () => void;
  readonly released = new Promise<void>((done) => (this.release = done));
  private reach!: () => void;
  readonly reached = new Promise<void>((done) => (this.reach = done));

  async add(_name: string, waiter: EventWaiter): Promise<void> {
    this.fields.add(waiterField(waiter));
    this.reach();
    await this.released;
  }

  take(_name: string, waiter: EventWaiter): Promise<boolean> {
    return Promise.resolve(this.fields.delete(waiterField(waiter)));
  }

  list(): Promise<EventWaiter[]> {
    return Promise.resolve([]);
  }

  deliver(): Promise<boolean> {
    return Promise.resolve(false);
  }

  open(): void {
    this.release();
  }
}

function makeRun(steps: Journal, waiters: EventWaiters): TaskRun {
  const job = { id: '1', name: 'demo', attemptsMade: 0, updateProgress: async () => {}, steps };
  return new TaskRun(job, { name: 'default' } as TaskQueue, {}, { warn: () => {} }, { waiters });
}

describe('TaskRun aborted during its durable calls', () => {
  it('takes back the waiter its wait indexed when the abort came meanwhile, and ends aborted', async () => {
    const steps = new Journal();
    const waiters = new HeldWaiters();
    const run = makeRun(steps, waiters);
    let waited: Promise<unknown> | undefined;
    const ended = run.execute((ctx: TaskContext) => {
      waited = ctx.waitForEvent('email.confirmed', { timeout: 60 });
      return waited;
    }, 0);
    await waiters.reached;
    expect(waiters.fields.size).toBe(1);
    run.cancel(ABORTED_REASON);
    await expect(ended).rejects.toBeInstanceOf(TaskAbortedError);
    waiters.open();
    await expect(waited).rejects.toBeInstanceOf(TaskAbortedError);
    expect(waiters.fields.size).toBe(0);
  });

  it('runs no step of a body that goes on past its abort', async () => {
    const steps = new Journal();
    const run = makeRun(steps, new HeldWaiters());
    let resume!: () => void;
    const paused = new Promise<void>((done) => (resume = done));
    let later: Promise<unknown> | undefined;
    const calls: string[] = [];
    const ended = run.execute(async (ctx: TaskContext) => {
      await ctx.step('first', () => calls.push('first'));
      await paused;
      later = ctx.step('second', () => calls.push('second'));
      return later;
    }, 0);
    await new Promise((done) => setImmediate(done));
    run.cancel(ABORTED_REASON);
    await expect(ended).rejects.toBeInstanceOf(TaskAbortedError);
    resume();
    await new Promise((done) => setImmediate(done));
    await expect(later).rejects.toBeInstanceOf(TaskAbortedError);
    expect(calls).toEqual(['first']);
    expect(steps.records.map((record) => record.key)).toEqual(['step:first']);
  });
});
