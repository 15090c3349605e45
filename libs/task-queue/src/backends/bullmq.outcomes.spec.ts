import { describe, expect, it } from '@jest/globals';
import { useEmbeddedBackend } from '../../../../test/support/pglite.js';
import { TaskWaitTimeoutError } from '../errors/index.js';
import { JobOutcomes } from './bullmq.outcomes.js';

// A wait for a job's outcome (apply, map) that the application's shutdown interrupts ends at
// once, saying so, rather than when its timeout runs out: on a real (embedded) backend, with
// BullMQ's own queue and event stream, so that an upgrade of BullMQ that changes how a closing
// queue is told apart fails here.
describe('JobOutcomes, as the backend closes', () => {
  const embedded = useEmbeddedBackend();

  it('rejects a wait still going on when the backend closes, saying the queue is closing', async () => {
    const backend = embedded();
    const queue = backend.queue('default');
    const events = await backend.queueEvents('default');
    const explain = async (jobs: { id: string }[]) =>
      jobs.map(({ id }) => new TaskWaitTimeoutError(`ran out: ${id}`, id));
    const outcomes = new JobOutcomes(backend, events, async () => [], 60_000, explain);
    const add = async () => [{ id: (await queue.add('probe', {})).id, name: 'probe' }];
    const [waiting] = await outcomes.addAndWait(add, 20_000, 'apply');
    const settled = waiting.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await backend.close();
    const error = await settled;
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    expect((error as Error).message).toMatch(
      /^Stopped waiting for task 'probe' \(job \S+\): the queue is closing/,
    );
  }, 60_000);
});
