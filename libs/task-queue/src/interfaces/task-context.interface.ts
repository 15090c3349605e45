import type { TaskQueue } from '../producer/task-queue.js';
import type { WaitForEventOptions } from '../durable/step-journal.js';

/** The running job, as a task sees it. */
export interface TaskJobRef {
  /** The job's id, as `enqueue` returned it and `getJob` takes it. */
  id: string;
  /** The task's name. */
  name: string;
  /** The queue the job is on. */
  queue: string;
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  /** The payload, as the task's second parameter receives it (`{}` when none was given). */
  payload: object;
}

/** First parameter of every task method. */
export interface TaskContext {
  /** The running job: its id, task name, queue, attempt and payload. */
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
  /**
   * Runs `fn` once per job, a durable step. Its result (plain data, as a payload) is stored
   * before `step` returns; every later execution of this job (a retry, a resume after
   * `sleep` or `waitForEvent`, another process after a crash) gets the stored result without
   * calling `fn`. A step that throws is not stored: the job fails or retries as usual, and the
   * step runs again then. The result comes back as stored, through JSON (a `Date` as its ISO
   * string), on every execution.
   *
   * `id` names the step on every execution: two steps with one id in one execution fail the
   * job; in a loop, put the item's id in it, never a counter that could shift or `Date.now()`.
   * The step results of one job count together against the module's `maxPayloadBytes`.
   *
   * @throws InvalidPayloadError when the result is not plain data (naming the step and the
   *   path), or the job's step results would pass `maxPayloadBytes`.
   * @throws NonRetryableError when `id` was already used in this execution.
   * @example
   * ```ts
   * const charge = await ctx.step('charge', () => this.payments.charge(order));
   * for (const item of order.items) {
   *   await ctx.step(`reserve-${item.id}`, () => this.stock.reserve(item));
   * }
   * ```
   */
  step<R>(id: string, fn: () => R | PromiseLike<R>): Promise<R>;
  /**
   * Suspends the job for `seconds`, holding no worker slot: this execution ends (`ctx.signal`
   * aborts and the promise rejects: let it propagate), the job reads `scheduled`, and it runs
   * again from the top once the time is up, in any process, where this `sleep` resolves at
   * once and the steps before it return what they stored. Uses no retry and keeps
   * `ctx.job.attempt`; the task's `timeout` applies to each execution, not to the time asleep.
   * Code outside steps runs again on each execution: keep it safe to repeat.
   *
   * @throws InvalidOptionsError unless `seconds` is a number, 0 or more.
   * @example
   * ```ts
   * await ctx.step('welcome', () => this.mail.welcome(user));
   * await ctx.sleep(3 * 86400);
   * await ctx.step('reminder', () => this.mail.remind(user));
   * ```
   */
  sleep(seconds: number): Promise<void>;
  /**
   * Suspends the job, holding no worker slot, until an event `name` is sent
   * (`TaskQueues.sendEvent`) whose data has the fields of `match` (a deep subset), or until
   * `timeout` seconds have passed. Meanwhile the job reads `scheduled`; this execution ends
   * (let the rejection propagate), and the job runs again from the top in any process, where
   * this call resolves with the data of the first matching event sent after the wait began,
   * or `null` after the timeout. Events sent while no job waits for them are not kept. Uses no
   * retry and keeps `ctx.job.attempt`.
   *
   * @throws InvalidOptionsError for an empty name, a `timeout` that is not a positive number,
   *   or a `match` that is not a plain object.
   * @example
   * ```ts
   * const confirmed = await ctx.waitForEvent<{ userId: number }>('email.confirmed', {
   *   match: { userId },
   *   timeout: 7 * 86400,
   * });
   * if (!confirmed) await ctx.step('reminder', () => this.mail.remind(userId));
   * ```
   */
  waitForEvent<E = unknown>(name: string, options: WaitForEventOptions): Promise<E | null>;
}
