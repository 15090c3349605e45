import { describe, expect, it } from '@jest/globals';
import type { Job, Worker } from 'bullmq';
import { useEmbeddedBackend } from '../../../../../test/support/pglite.js';
import { QueueBackend } from '../queue-backend.js';

// postgres.finished.ts reads BullMQ's `job` table itself, in one query, where BullMQ reads each
// job's state and then the job: here both reads, on a real (embedded) backend, must agree, so
// that an upgrade of BullMQ that changes its table (columns, states, how a result is kept)
// fails here.
describe("Finished jobs on PostgreSQL, read from BullMQ's job table as BullMQ reads them", () => {
  const embedded = useEmbeddedBackend();

  it('gives the outcomes BullMQ gives: a result, a failure, nothing for the unfinished', async () => {
    const backend = embedded();
    const queue = backend.queue('default');
    let ended = 0;
    let worker: Worker | undefined;
    const bothEnded = new Promise<void>((resolve) => {
      worker = backend.worker(
        'default',
        async (job: Job) => {
          const data = job.data as { fail?: boolean; n?: number };
          if (data.fail) throw new Error('boom');
          return { n: data.n, text: 'it said "hi"' };
        },
        { concurrency: 1 },
      );
      const count = () => ++ended === 2 && resolve();
      worker.on('completed', count);
      worker.on('failed', count);
    });
    const completed = await queue.add('probe', { n: 1 });
    const failed = await queue.add('probe', { fail: true }, { attempts: 1 });
    const delayed = await queue.add('probe', { n: 3 }, { delay: 600_000 });
    await bothEnded;
    await worker!.close();

    const ids = [completed.id!, failed.id!, delayed.id!, 'no-such-job'];
    const ours = await backend.finishedJobs('default', ids);
    expect(ours).toEqual([
      { id: completed.id, failed: false, value: { n: 1, text: 'it said "hi"' } },
      { id: failed.id, failed: true, reason: 'boom' },
    ]);
    expect(ours).toEqual(await QueueBackend.prototype.finishedJobs.call(backend, 'default', ids));
  }, 60_000);
});
