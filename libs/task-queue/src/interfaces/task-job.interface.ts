import type { TaskTransaction } from './task-transaction.interface.js';

/**
 * Where a job is in its life: `'queued'` ready to run (waiting, prioritized, or waiting for its
 * children); `'scheduled'` ready later (a delay, a retry's backoff, a sleep or a wait for an
 * event); `'active'` running; `'complete'`; `'failed'` with no attempts left; `'aborted'` ended
 * by `abort()`.
 */
export type TaskJobStatus = 'queued' | 'scheduled' | 'active' | 'complete' | 'failed' | 'aborted';

/** What `stats()` reads: jobs per status (aborted ones count as `failed`) and workers. */
export interface TaskQueueStats {
  /** Jobs per status, now: every status but `aborted`, whose jobs count as `failed`. */
  counts: Record<Exclude<TaskJobStatus, 'aborted'>, number>;
  /** Workers connected to the queue, in every process. */
  workers: number;
}

/** One run of a job that threw, as {@link TaskJobInfo.failedAttempts} lists it. */
export interface TaskFailedAttempt {
  /** Which attempt it was: 1 for the first run, as `ctx.job.attempt` read it. */
  attempt: number;
  /** The message of what it threw. */
  error: string;
}

/** A durable step a job has done (`ctx.step`), as {@link TaskJobInfo.steps} lists it. */
export interface TaskJobStep {
  /** The id the task gave the step. */
  id: string;
  /** When its result was stored. */
  at: Date;
}

/**
 * What `getJob()` reads back.
 *
 * @example
 * ```ts
 * const job = await taskQueues.get('default').getJob(id);
 * if (job?.status === 'complete' && job.failedAttempts.length > 0) {
 *   console.log(`done on attempt ${job.attempts}; first failure: ${job.failedAttempts[0].error}`);
 * }
 * ```
 */
export interface TaskJobInfo {
  /** The job's id. */
  id: string;
  /** The task's name. */
  name: string;
  /** The queue the job is on. */
  queue: string;
  /** Where the job is in its life (see {@link TaskJobStatus}). */
  status: TaskJobStatus;
  /** The task's return value (`null` for `undefined` or while unfinished). */
  result: unknown;
  /**
   * Why the job failed or was aborted; while it waits for a retry (or runs it), the message of
   * the attempt that failed last. `null` once complete, even after failed attempts (they stay
   * in `failedAttempts`), and before any failure.
   */
  error: string | null;
  /** Runs started so far. */
  attempts: number;
  /** What the task last gave `ctx.progress()`; `0` before it gave anything. */
  progress: number | object;
  /**
   * Every attempt that failed, oldest first, whatever the job's status now: a job that
   * completed on its third attempt lists the first two; one that failed for good lists its
   * last failure too. Read from the stack trace BullMQ keeps of each failed attempt, on every
   * backend. A job aborted before it ran counts one attempt, failed with the abort (the worker
   * that takes it fails it); a failure that no attempt threw (a parent failed by its child, a
   * job that stalled too often) is in `error` only.
   */
  failedAttempts: TaskFailedAttempt[];
  /**
   * The durable steps (`ctx.step`) done so far, in the order they were stored, over every
   * execution; their results are not included. `[]` for a job that has none.
   */
  steps: TaskJobStep[];
}

/** Handle returned by `enqueue()`. */
export interface EnqueuedJob {
  /**
   * The job's id, for `getJob` and `abort`: the id of the job already there when a `key`
   * deduplicated the enqueue.
   */
  id: string;
  /** The task's name. */
  name: string;
  /** The queue the job is on. */
  queue: string;
}

/** Per-enqueue options. Durations in seconds. */
export interface EnqueueOptions {
  /**
   * Deduplication key: while a job with this key is unfinished, its id is returned. With
   * `keyTtl` it throttles instead, and with `debounce` it debounces.
   */
  key?: string;
  /**
   * Throttle (seconds, with `key`): for this long after the first enqueue, an enqueue with the
   * same key returns the first job's id, finished or not; after it the key is free, even if that
   * job is unfinished.
   */
  keyTtl?: number;
  /**
   * Debounce (with `key`, `keyTtl` and `delay`): an enqueue with the same key replaces the job
   * that still waits for its delay, and the delay starts again: the latest payload wins. It
   * returns the id of the job that will run; a replaced job reads back `undefined` from
   * `getJob`. A job already running is not replaced: until `keyTtl` has passed since the last
   * enqueue, enqueues return its id.
   */
  debounce?: boolean;
  /**
   * Priority: 1 is the most urgent, up to 2 097 152; overrides the task's. A job without a
   * priority runs before any job with one (BullMQ's order).
   */
  priority?: number;
  /** Seconds to wait before the job becomes ready. */
  delay?: number;
  /** Longest this run may take, in seconds; overrides the task's. */
  timeout?: number;
  /** Extra attempts after the first failure; overrides the task's. */
  retries?: number;
  /**
   * An open transaction to write the job through: the job exists once it commits, and not at
   * all if it rolls back. See {@link TaskTransaction} for what qualifies. Not taken by `apply`
   * or `map` (they would wait for a job that cannot start before the commit).
   */
  transaction?: TaskTransaction;
}

/** Options of `enqueueMany()`. */
export interface EnqueueManyOptions {
  /** An open transaction to write all the jobs through, as `enqueue`'s `transaction`. */
  transaction?: TaskTransaction;
}

/** One job of `enqueueMany()`. */
export interface EnqueueItem {
  /** Task name, as `enqueue` takes it. */
  name: string;
  /** Plain data, passed to the task as its second parameter. Default `{}`. */
  payload?: object;
  /** The job's options; its `transaction` is not taken (pass it to `enqueueMany` itself). */
  options?: Omit<EnqueueOptions, 'transaction'>;
}

/** Options of `apply()`: enqueue options, where `timeout` is how long to wait for the outcome. */
export interface ApplyOptions extends Omit<EnqueueOptions, 'timeout' | 'transaction'> {
  /** Seconds to wait for the final outcome. Default 60. */
  timeout?: number;
}
