import type { RunFailure, TaskRunOutcome } from '../worker/run-outcome.js';
import type { RunnableJob } from '../worker/runnable-job.js';

/**
 * @internal The attributes of the module's spans: those of the OpenTelemetry messaging semantic
 * conventions (`messaging.*`), and the module's own (`task_queue.*`). Those set once a span has
 * started:
 */
export const SPAN = {
  messageId: 'messaging.message.id',
  /** How a run ended: a {@link RunSpanOutcome}. */
  outcome: 'task_queue.job.outcome',
} as const;

// The attributes are object literals with their keys written out: V8 makes those from a
// template, where computed keys or a spread would build each span's object key by key.

/** @internal The attributes of a `send` span of one job of task `task`. */
export const sendAttributes = (queue: string, task: string) => ({
  'messaging.system': 'bullmq',
  'messaging.destination.name': queue,
  'messaging.operation.type': 'send',
  'messaging.operation.name': 'send',
  'task_queue.task.name': task,
});

/** @internal The attributes of a `send` span of `count` jobs. */
export const batchAttributes = (queue: string, count: number) => ({
  'messaging.system': 'bullmq',
  'messaging.destination.name': queue,
  'messaging.operation.type': 'send',
  'messaging.operation.name': 'send',
  'messaging.batch.message_count': count,
});

/** @internal The attributes of the `process` span of a run of `job`. */
export const processAttributes = (
  queue: string,
  job: Pick<RunnableJob, 'id' | 'name' | 'attemptsMade'>,
) => ({
  'messaging.system': 'bullmq',
  'messaging.destination.name': queue,
  'messaging.operation.type': 'process',
  'messaging.operation.name': 'process',
  'messaging.message.id': job.id,
  'task_queue.task.name': job.name,
  'task_queue.job.attempt': job.attemptsMade + 1,
});

/**
 * @internal The attributes of the span of step `id` of a run (`step <id>`): `replayed` when its
 * result came from the job's journal (an earlier execution ran it) and its function was not called.
 */
export const stepAttributes = (id: string, replayed: boolean) => ({
  'task_queue.step.id': id,
  'task_queue.step.replayed': replayed,
});

/**
 * @internal How a run ended, on its span: as the finished-job log line says, or `requeued` for
 * a run put back on its queue by a worker's shutdown (to run again, its attempt not used up).
 */
export type RunSpanOutcome = TaskRunOutcome | 'requeued';

/**
 * @internal What a run that did not complete shows on its span: its outcome, and the task's own
 * error to record; none for a run put back by a shutdown, which did not fail. A run put back by
 * `ctx.rateLimit()` shows as a failed attempt would (its pause is the error recorded).
 */
export function spanOutcomeOf(failure: RunFailure): {
  outcome: RunSpanOutcome;
  exception?: Error;
} {
  const { outcome, error } = failure;
  // A run put back by a shutdown, or that suspended its job, did not fail.
  if (outcome === 'requeued' || outcome === 'sleeping' || outcome === 'waiting') return { outcome };
  if (outcome !== 'rate-limited') return { outcome, exception: error };
  return { outcome: failure.lastAttempt ? 'failed' : 'retrying', exception: error };
}
