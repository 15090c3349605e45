import {
  NonRetryableError,
  TaskAbortedError,
  TaskRateLimitedError,
  TaskTimeoutError,
} from '../errors/index.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import { RunSuspension } from '../durable/run-suspension.js';
import { ABORTED_REASON } from '../task-queue.constants.js';
import { workerMessages } from './worker.messages.js';
import type { RunnableJob } from './runnable-job.js';

/**
 * How a run ended, as the finished-job log line and the duration histogram name it: `sleeping`
 * and `waiting` are executions that suspended their job (`ctx.sleep`, `ctx.waitForEvent`),
 * neither failed nor finished.
 */
export type TaskRunOutcome =
  'completed' | 'failed' | 'retrying' | 'aborted' | 'sleeping' | 'waiting';

/**
 * @internal How a run ended, in full: a {@link TaskRunOutcome}, or `requeued` (put back on its
 * queue by a worker's shutdown, its attempt not used up), `rate-limited` (put back by
 * `ctx.rateLimit()`, first in line, no attempt used) or `skipped` (a tick of an `overlap: false`
 * schedule while another tick of it was active: the task not called, the job completed).
 */
export type RunOutcome = TaskRunOutcome | 'requeued' | 'rate-limited' | 'skipped';

/** @internal How a run that did not complete ended. */
export type FailedOutcome = Exclude<RunOutcome, 'completed' | 'skipped'>;

/**
 * @internal A run that did not complete, classified once: what a worker's processor rejects
 * with, and what the backend, the run's span, its log line, its metric and the testing kit
 * read. It never reaches the task's code; the backend records the task's own error.
 */
export class RunFailure extends Error {
  override readonly name = 'RunFailure';

  constructor(
    readonly outcome: FailedOutcome,
    /** The task's own error (a non-`Error` throw made one), for the span and the log line. */
    readonly error: Error,
    /** Whether the job fails for good, attempts left or not (`failed` or `aborted`). */
    readonly final: boolean,
    /** Whether this run was the job's last attempt, or the job fails for good. */
    readonly lastAttempt = final,
  ) {
    super(error.message);
  }

  /** When a suspended job (`sleeping`, `waiting`) runs again, in ms since the epoch. */
  get resumeAt(): number | undefined {
    return this.error instanceof RunSuspension ? this.error.until : undefined;
  }

  /** The failure as the job records it: its error's message, or the abort's reason. */
  get reason(): string {
    return this.outcome === 'aborted' ? ABORTED_REASON : this.error.message;
  }
}

/**
 * @internal Classifies what a run threw: the one place a run's outcome is worked out. A retry
 * is told from the last failure by the attempts left (`job.attemptsMade` counts those before
 * this run).
 */
export function runFailureOf(
  thrown: unknown,
  job: Pick<RunnableJob, 'attemptsMade' | 'attempts' | 'failsForGood'>,
  retryOnTimeout: boolean,
): RunFailure {
  if (thrown instanceof RunFailure) return thrown;
  const last = job.attemptsMade + 1 >= job.attempts;
  if (thrown instanceof RunSuspension) return new RunFailure(thrown.outcome, thrown, false);
  if (thrown instanceof WorkerShutdownError) return new RunFailure('requeued', thrown, false);
  if (thrown instanceof TaskRateLimitedError) {
    return new RunFailure('rate-limited', thrown, false, last);
  }
  if (thrown instanceof TaskAbortedError) return new RunFailure('aborted', thrown, true);
  if (
    thrown instanceof NonRetryableError ||
    (thrown instanceof TaskTimeoutError && !retryOnTimeout)
  ) {
    return new RunFailure('failed', thrown, true);
  }
  // The backend records only an Error's message; keep the text of anything else thrown.
  const error = thrown instanceof Error ? thrown : new Error(workerMessages.nonErrorThrown(thrown));
  if (job.failsForGood?.(error)) return new RunFailure('failed', error, true);
  return new RunFailure(last ? 'failed' : 'retrying', error, false, last);
}

/**
 * @internal The outcome a finished run's log line and duration metric give: a skipped tick
 * completed; a run put back on its queue (`requeued`, `rate-limited`) did not finish: none.
 */
export function finishedOutcome(outcome: RunOutcome): TaskRunOutcome | undefined {
  if (outcome === 'skipped') return 'completed';
  if (outcome === 'requeued' || outcome === 'rate-limited') return undefined;
  return outcome;
}
