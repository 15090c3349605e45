import type { TaskQueue } from '../producer/task-queue.js';

/** The running job, as a task sees it. */
export interface TaskJobRef {
  id: string;
  name: string;
  queue: string;
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  payload: object;
}

/** First parameter of every task method. */
export interface TaskContext {
  job: TaskJobRef;
  /** The queue this job came from: enqueue follow-ups here. */
  queue: TaskQueue;
  /** Aborted on timeout, on `abort()`, and on forced shutdown. */
  signal: AbortSignal;
  /** Records progress, readable through `getJob(id).progress`. */
  progress(value: number | object): Promise<void>;
  /**
   * The results of this job's children (see `TaskQueue.enqueueFlow`), in the order they were
   * given; `[]` for a job that has none.
   */
  childResults<R = unknown>(): Promise<R[]>;
  /**
   * Pauses this job's queue for `seconds` in every process (an upstream answered 429), on any
   * queue, with or without `rateLimit`. This run ends: `ctx.signal` aborts and the returned
   * promise rejects with a `TaskRateLimitedError`, to let propagate; the job goes back to its
   * queue, first in line, and runs again once the pause is over without using up a retry.
   *
   * @example
   * ```ts
   * const response = await fetch(url, { signal: ctx.signal });
   * if (response.status === 429) {
   *   return ctx.rateLimit(Number(response.headers.get('retry-after') ?? 30));
   * }
   * ```
   */
  rateLimit(seconds: number): Promise<never>;
}
