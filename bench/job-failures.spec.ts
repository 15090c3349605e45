import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Worker } from 'bullmq';
import { countDeadlocks, DEADLOCK_DETECTED, describeFailures } from './job-failures.js';
import { catchStrayRejections, inLane } from './lane-failure.js';

const at = { figure: 'prefilled process-c10', lane: 'BullMQ 6.7.0', round: 0, rounds: 3 };
/** PostgreSQL's error for a statement rolled back to break a deadlock, as node-postgres gives it. */
const deadlock = () => Object.assign(new Error('deadlock detected'), { code: DEADLOCK_DETECTED });
/** What BullMQ's worker emits, without a queue behind it. */
const workerEvents = () => new EventEmitter() as unknown as Worker;

describe("a plain BullMQ lane's failed jobs", () => {
  let stopCatching: () => void;
  beforeEach(() => {
    stopCatching = catchStrayRejections();
  });
  afterEach(() => stopCatching());

  it('counts a job failed by a deadlock, and the lane goes on', async () => {
    const worker = workerEvents();
    const deadlocks = countDeadlocks(worker);
    const counted = await inLane(at, async () => {
      // BullMQ reports the completion's error, then fails the job with it.
      for (const id of ['4', '9']) {
        worker.emit('error', deadlock());
        worker.emit('failed', { id } as never, deadlock(), 'active');
      }
      await new Promise((done) => setTimeout(done, 5));
      return deadlocks();
    });
    expect(counted).toBe(2);
  });

  it('fails the lane on a job failed for another reason', async () => {
    const worker = workerEvents();
    countDeadlocks(worker);
    const failed = inLane(at, async () => {
      setTimeout(() => worker.emit('failed', { id: '3' } as never, new Error('boom'), 'active'), 5);
      return new Promise<never>(() => undefined);
    });
    await expect(failed).rejects.toThrow(
      "prefilled process-c10: lane 'BullMQ 6.7.0', round 1/3 failed: Error: job 3 failed: boom",
    );
  });

  it("fails the lane on a worker's error other than a deadlock", async () => {
    const worker = workerEvents();
    countDeadlocks(worker);
    const failed = inLane(at, async () => {
      setTimeout(() => worker.emit('error', new Error('connection terminated')), 5);
      return new Promise<never>(() => undefined);
    });
    await expect(failed).rejects.toThrow('failed: Error: connection terminated');
  });

  it('prints each lane with its failed jobs per round, those by deadlocks named', () => {
    const lines = describeFailures({
      'process-c10': {
        'BullMQ 6.7.0': [
          { failed: 3, deadlocks: 3 },
          { failed: 0, deadlocks: 0 },
          { failed: 4, deadlocks: 4 },
        ],
        TaskQueueModule: [{ failed: 0 }, { failed: 0 }, { failed: 0 }],
      },
    });
    expect(lines).toEqual([
      '  process-c10: BullMQ 6.7.0 7 failed, 7 by deadlocks (3, 0, 4); TaskQueueModule 0',
    ]);
  });
});
