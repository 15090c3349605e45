import type { EventEmitter } from 'node:events';
import { Job, type Queue, type QueueEvents } from 'bullmq';
import { TaskFailedError, TaskWaitTimeoutError } from '../errors/index.js';
import { messages } from '../task-queue.messages.js';

/** Why a wait ended without an outcome; the job itself may still finish later. */
class OutcomeWaitEnded extends Error {
  override readonly name = 'OutcomeWaitEnded';
  constructor(readonly closing: boolean) {
    super(closing ? 'the queue is closing' : 'the wait ran out');
  }
}

/** A finished job's failure, as BullMQ recorded it. */
class JobFailure extends Error {
  override readonly name = 'JobFailure';
}

/**
 * @internal Waits for job `id` to finish: resolves its return value, rejects with a
 * {@link JobFailure} (its failure reason), or with {@link OutcomeWaitEnded} after `timeoutMs`
 * or when the queue closes. Listens to the queue's events; with `pollMs`, also reads the job's
 * state that often, for event streams that can miss an event (BullMQ's PostgreSQL stream
 * pages by id, and ids of concurrent transactions can commit out of order).
 */
export function waitForOutcome(
  queue: Queue,
  events: QueueEvents,
  id: string,
  timeoutMs: number,
  pollMs?: number,
): Promise<unknown> {
  // Per-job event names (`completed:<id>`) are not in BullMQ's typed listener map.
  const bus = events as unknown as EventEmitter;
  const closing = queue as unknown as EventEmitter;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poller);
      bus.off(`completed:${id}`, onCompleted);
      bus.off(`failed:${id}`, onFailed);
      closing.off('closing', onClosing);
      settle();
    };
    const onCompleted = ({ returnvalue }: { returnvalue: unknown }) =>
      finish(() => resolve(returnvalue));
    const onFailed = ({ failedReason }: { failedReason: string }) =>
      finish(() => reject(new JobFailure(failedReason)));
    const onClosing = () => finish(() => reject(new OutcomeWaitEnded(true)));
    const timer = setTimeout(() => finish(() => reject(new OutcomeWaitEnded(false))), timeoutMs);
    bus.on(`completed:${id}`, onCompleted);
    bus.on(`failed:${id}`, onFailed);
    closing.on('closing', onClosing);

    // Read the state once now (the job may have finished before the listeners were on), and
    // then every `pollMs` if the stream may miss events.
    const check = async () => {
      const state = await queue.getJobState(id);
      if (state !== 'completed' && state !== 'failed') return;
      const job = await Job.fromId(queue, id);
      if (!job) return;
      if (state === 'completed') onCompleted({ returnvalue: job.returnvalue });
      else onFailed({ failedReason: job.failedReason });
    };
    const poll = () => void check().catch(() => undefined);
    const poller = pollMs ? setInterval(poll, pollMs) : undefined;
    poll();
  });
}

/**
 * @internal What `apply` gives for a wait that did not resolve: the task's failure as a
 * `TaskFailedError`; after a wait that ended, the job's outcome if it finished at that very
 * moment, else a `TaskWaitTimeoutError` (the job stays where it is).
 */
export async function settleWait<R>(
  queue: Queue,
  job: Job,
  error: unknown,
  timeoutSeconds: number,
): Promise<R> {
  const id = job.id!;
  const failed = (reason: string) => taskFailed(job.name, id, reason);
  if (error instanceof JobFailure) throw failed(error.message);
  if (!(error instanceof OutcomeWaitEnded)) throw error;
  const state = await queue.getJobState(id);
  if (state === 'failed' || state === 'completed') {
    const finished = await Job.fromId(queue, id);
    if (state === 'failed') throw failed(finished?.failedReason ?? '');
    return (finished?.returnvalue ?? null) as R;
  }
  throw new TaskWaitTimeoutError(
    error.closing
      ? messages.waitInterrupted(job.name, id)
      : messages.waitTimedOut(job.name, id, timeoutSeconds),
    id,
  );
}

/** @internal The error `apply` rejects with when the job failed (after its retries). */
export const taskFailed = (name: string, id: string, reason: string): TaskFailedError =>
  new TaskFailedError(messages.taskFailed(name, id, reason), id, reason);
