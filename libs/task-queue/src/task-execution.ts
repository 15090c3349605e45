import { TaskAbortedError, TaskTimeoutError } from './errors/index.js';
import { ABORTED_REASON, SHUTDOWN_REASON } from './task-queue.constants.js';
import { messages } from './task-queue.messages.js';

/** @internal `ctx.signal.reason` when a shutdown's grace period ran out: the job runs again. */
export class WorkerShutdownError extends Error {
  override readonly name = 'WorkerShutdownError';
}

/** The reason a task sees for BullMQ's cancellation of its job. */
function reasonFor(cancellation: unknown): unknown {
  if (cancellation === ABORTED_REASON) return new TaskAbortedError(ABORTED_REASON);
  if (cancellation === SHUTDOWN_REASON) return new WorkerShutdownError(SHUTDOWN_REASON);
  return cancellation;
}

/** @internal Limits of one run. */
export interface RunLimits {
  /** Longest the run may take, in ms; 0 = no limit. */
  timeoutMs: number;
  /** BullMQ's signal for this job: aborted by `Worker.cancelJob`. */
  jobSignal?: AbortSignal;
  /** `Task 'x' (job 5)`, for messages. */
  label: string;
  /** Told about a body that rejected after its run had already ended (timeout or abort). */
  onLateFailure: (error: unknown) => void;
}

/**
 * @internal Runs a task body against its timeout and abort requests. The run ends at whichever
 * comes first, so the worker slot is freed even when the body ignores its signal; a body still
 * running then is left to finish on its own, and a late rejection is reported, not lost.
 */
export async function runWithLimits<T>(
  body: (signal: AbortSignal) => Promise<T>,
  limits: RunLimits,
): Promise<T> {
  const controller = new AbortController();
  const { signal } = controller;
  let stop!: (reason: unknown) => void;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  signal.addEventListener('abort', () => stop(signal.reason), { once: true });

  const { jobSignal, timeoutMs, label } = limits;
  const forward = () => controller.abort(reasonFor(jobSignal?.reason));
  if (jobSignal?.aborted) forward();
  else jobSignal?.addEventListener('abort', forward, { once: true });
  const timer =
    timeoutMs > 0
      ? setTimeout(
          () => controller.abort(new TaskTimeoutError(messages.timedOut(label, timeoutMs / 1000))),
          timeoutMs,
        )
      : undefined;

  const running = body(signal);
  try {
    return await Promise.race([running, stopped]);
  } catch (error) {
    if (signal.aborted && error === signal.reason) running.catch(limits.onLateFailure);
    throw error;
  } finally {
    clearTimeout(timer);
    jobSignal?.removeEventListener('abort', forward);
  }
}
