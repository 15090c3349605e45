import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { ABORTED_REASON } from '../task-queue.constants.js';
import type { TaskRunOutcome } from './task-queue.metrics.js';

/**
 * @internal The attributes of the module's spans: those of the OpenTelemetry messaging semantic
 * conventions, and the module's own (`task_queue.*`).
 */
export const SPAN = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  /** The task's name (the BullMQ job's name). */
  task: 'task_queue.task.name',
  /** Which attempt of the job a run is, from 1. */
  attempt: 'task_queue.job.attempt',
  /** How a run ended: a {@link RunSpanOutcome}. */
  outcome: 'task_queue.job.outcome',
} as const;

/**
 * @internal How a run ended, on its span: as the finished-job log line says, or `requeued` for
 * a run put back on its queue by a worker's shutdown (to run again, its attempt not used up).
 */
export type RunSpanOutcome = TaskRunOutcome | 'requeued';

/**
 * @internal What a run's throw means for its span: its outcome, and the error to record (the
 * task's own error where the processor wrapped it in BullMQ's `UnrecoverableError`); none for a
 * run put back by a shutdown, which did not fail. The throw comes before BullMQ counts the
 * attempt, so `attemptsMade` is that of the attempts before this one.
 */
export function runOutcomeOf(
  error: unknown,
  job: Pick<Job, 'attemptsMade' | 'opts'>,
): { outcome: RunSpanOutcome; exception?: unknown } {
  if (error instanceof WaitingError) return { outcome: 'requeued' };
  if (error instanceof UnrecoverableError) {
    const exception = error.cause ?? error;
    return { outcome: error.message === ABORTED_REASON ? 'aborted' : 'failed', exception };
  }
  const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  return { outcome: last ? 'failed' : 'retrying', exception: error };
}
