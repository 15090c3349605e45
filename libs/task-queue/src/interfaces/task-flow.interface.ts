import type { EnqueueOptions } from './task-job.interface.js';
import type { TaskTransaction } from './task-transaction.interface.js';

/** Options of `map()`. */
export interface MapOptions {
  /** Seconds to wait for all the outcomes (default 60); the jobs' own timeouts are not changed. */
  timeout?: number;
  /**
   * Put each failure (a `TaskFailedError`, or a `TaskWaitTimeoutError` for a job still unfinished
   * when the wait ran out) in its place among the results, instead of rejecting with the first.
   * Default `false`.
   */
  returnExceptions?: boolean;
}

/**
 * One job of a flow and the jobs it waits for: a parent runs once all its `children` have
 * completed, and reads their results with `ctx.childResults()`.
 */
export interface TaskFlow {
  /** Task name, discovered on `queue`. */
  name: string;
  /** Plain data, passed to the task as its second parameter. Default `{}`. */
  payload?: object;
  /** Queue of this job: any configured queue. Default: the queue `enqueueFlow` was called on
   * for the root, the parent's queue for a child. */
  queue?: string;
  /** Enqueue options of this job; `key` is not taken (a job of a flow is never deduplicated). */
  options?: Omit<EnqueueOptions, 'key' | 'transaction'>;
  /** Jobs that must complete before this one runs, in the order `ctx.childResults()` gives. */
  children?: TaskFlow[];
}

/** Options of `enqueueFlow()`. */
export interface EnqueueFlowOptions {
  /** An open transaction to write the whole tree through, as `enqueue`'s `transaction`. */
  transaction?: TaskTransaction;
}
