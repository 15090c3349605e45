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
  /** `Task 'x' (job 5)`, for messages. */
  label: string;
  /** Told about a body that rejected after its run had already ended (timeout or abort). */
  onLateFailure: (error: unknown) => void;
}

/** @internal A run in progress. */
export interface TaskRun<T> {
  /** Settles with the body's outcome, or rejects at the first timeout or cancellation. */
  readonly result: Promise<T>;
  /** Ends the run early: `ABORTED_REASON`, `SHUTDOWN_REASON`, or any other reason. */
  readonly cancel: (cancellation: unknown) => void;
}

/**
 * @internal Runs a task body against its timeout and cancellations. The run ends at whichever
 * comes first, so the worker slot is freed even when the body ignores its signal; a body still
 * running then is left to finish on its own, and a late rejection is reported, not lost.
 *
 * The body gets its signal through a getter: the AbortController behind it (several µs to
 * make, with its listeners) exists only for bodies that read it, or once the run is ended.
 */
export function runWithLimits<T>(
  body: (signal: () => AbortSignal) => Promise<T>,
  limits: RunLimits,
): TaskRun<T> {
  let controller: AbortController | undefined;
  let ended = false;
  let endedBy: unknown;
  let fail!: (reason: unknown) => void;
  let running: Promise<T> | undefined;

  const signal = () => {
    if (!controller) {
      controller = new AbortController();
      if (ended) controller.abort(endedBy);
    }
    return controller.signal;
  };
  const stop = (reason: unknown) => {
    if (ended) return;
    ended = true;
    endedBy = reason;
    clearTimeout(timer);
    controller?.abort(reason);
    fail(reason);
    running?.catch(limits.onLateFailure);
  };
  const { timeoutMs, label } = limits;
  const timer =
    timeoutMs > 0
      ? setTimeout(
          () => stop(new TaskTimeoutError(messages.timedOut(label, timeoutMs / 1000))),
          timeoutMs,
        )
      : undefined;

  const result = new Promise<T>((resolve, reject) => {
    fail = reject;
    const settle = (): boolean => {
      if (ended) return false;
      ended = true;
      clearTimeout(timer);
      return true;
    };
    try {
      running = body(signal);
    } catch (error) {
      if (settle()) fail(error);
      return;
    }
    running.then(
      (value) => settle() && resolve(value),
      (error: unknown) => settle() && fail(error),
    );
  });
  return { result, cancel: (cancellation) => stop(reasonFor(cancellation)) };
}
