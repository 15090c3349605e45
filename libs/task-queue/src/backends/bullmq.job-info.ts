import type { Job } from 'bullmq';
import type {
  TaskFailedAttempt,
  TaskJobInfo,
  TaskJobStatus,
  TaskJobStep,
  TaskQueueStats,
} from '../interfaces/task-job.interface.js';
import { ABORTED_REASON } from '../task-queue.constants.js';

/** @internal BullMQ's job states, as the statuses of this API name them. */
export const STATUS: Readonly<Record<string, TaskJobStatus | undefined>> = {
  waiting: 'queued',
  prioritized: 'queued',
  'waiting-children': 'queued',
  delayed: 'scheduled',
  active: 'active',
  completed: 'complete',
  failed: 'failed',
};

/** @internal BullMQ's states that have a status here. */
export const KNOWN_STATES = Object.keys(STATUS);

/**
 * @internal A job as {@link TaskJobInfo} reads it: `status` is its state when read (an aborted
 * job reads `aborted`, whether it ended or waits for a worker to fail it).
 */
export function toJobInfo(
  job: Job,
  status: TaskJobStatus,
  queue: string,
  steps: TaskJobStep[] = [],
): TaskJobInfo {
  const aborted =
    status === 'failed'
      ? job.failedReason === ABORTED_REASON
      : status !== 'complete' && job.deferredFailure === ABORTED_REASON;
  return {
    id: job.id!,
    name: job.name,
    queue,
    status: aborted ? 'aborted' : status,
    result: status === 'complete' ? (job.returnvalue ?? null) : null,
    // BullMQ keeps the last failure's message after a retry completed the job.
    error: status === 'complete' ? null : job.failedReason || (aborted ? ABORTED_REASON : null),
    attempts: job.attemptsStarted,
    progress: job.progress as number | object,
    failedAttempts: failedAttemptsOf(job.stacktrace),
    steps,
  };
}

/**
 * @internal The attempts that threw, from the stack trace BullMQ keeps of each (in order, one per failed
 * attempt: every error the worker fails a job with is an `Error`, and no stack trace limit is
 * set). A trace begins with `<name>: <message>`, then its frames.
 */
export function failedAttemptsOf(stacktrace: readonly unknown[] | null): TaskFailedAttempt[] {
  return (stacktrace ?? [])
    .filter((trace): trace is string => typeof trace === 'string')
    .map((trace, index) => ({ attempt: index + 1, error: messageOf(trace) }));
}

const FIRST_FRAME = /\n {4}at /;
const ERROR_NAME = /^[A-Za-z_$][\w$]*: /;

const messageOf = (trace: string): string => trace.split(FIRST_FRAME, 1)[0].replace(ERROR_NAME, '');

/** @internal BullMQ's counts by state, summed by status. */
export function countsByStatus(byState: Record<string, number>): TaskQueueStats['counts'] {
  const counts = { queued: 0, scheduled: 0, active: 0, complete: 0, failed: 0 };
  for (const [state, count] of Object.entries(byState)) {
    const status = STATUS[state];
    if (status && status !== 'aborted') counts[status] += count;
  }
  return counts;
}
