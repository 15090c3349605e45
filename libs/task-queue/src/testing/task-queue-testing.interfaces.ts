import type { EnqueueOptions } from '../interfaces/task-job.interface.js';
import type { TaskQueueClsOptions } from '../interfaces/task-queue-cls-options.interface.js';
import type { TaskContext } from '../interfaces/task-context.interface.js';
import type { QueueSettings } from '../interfaces/task-queue-options.interface.js';

/**
 * When jobs run under the testing module: `'manual'` only in `drain()` and `runSchedule()`;
 * `'inline'` before `enqueue` returns.
 */
export type TaskQueueTestingMode = 'manual' | 'inline';

/** Options of `TaskQueueTestingModule.forRoot` and `overrideTaskQueueModule`. */
export interface TaskQueueTestingOptions {
  /**
   * Queue names, as `TaskQueueModule` takes them; default: the application's, else
   * `['default']`. Their settings are accepted so that the application's fit, and unused:
   * `drain()` runs jobs one after another, with no limits and nothing claimed ahead.
   */
  queues?: string[] | Record<string, QueueSettings>;
  /** Queue of the tasks that name none; default: the application's, else `'default'`. */
  defaultQueue?: string;
  /** When jobs run. Default `'manual'`. */
  mode?: TaskQueueTestingMode;
  /**
   * nestjs-cls, as `TaskQueueModule` takes it (`propagate`, `transactions`,
   * `resolveProxyProviders`); default: the application's, else none. With `ClsModule` in the
   * test, each run has a CLS context of its own either way, as on a worker.
   *
   * @example
   * ```ts
   * TaskQueueTestingModule.forRoot({ mode: 'inline', cls: { propagate: ['tenantId'] } })
   * ```
   */
  cls?: TaskQueueClsOptions;
}

/** A job enqueued under the testing module, as `TaskQueueTester.enqueued()` lists it. */
export interface RecordedJob {
  /** The job's id, as `enqueue` returned it. */
  id: string;
  /** The task's name. */
  name: string;
  /** The queue it was enqueued on. */
  queue: string;
  /** The payload as enqueued (without the task's `kwargs`). */
  payload: object;
  /** The enqueue's options as given (`{}` when none). */
  options: EnqueueOptions;
}

/** Which jobs `TaskQueueTester.enqueued()` lists. */
export interface RecordedJobFilter {
  /** Only the jobs of this queue. Default: every queue. */
  queue?: string;
  /** Only the jobs of this task. Default: every task. */
  name?: string;
}

/** `T` with every property optional, at every depth: what a payload assertion may name. */
export type DeepPartial<T> = T extends Date
  ? T
  : T extends readonly (infer U)[]
    ? DeepPartial<U>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/** What `createTaskContext` may set; anything left out has a neutral default. */
export interface TaskContextOverrides {
  /** `ctx.job.payload`. Default `{}`. */
  payload?: object;
  /** `ctx.job.name`. Default `'task'`. */
  name?: string;
  /** Name of `ctx.queue` and `ctx.job.queue`. Default `'default'`. */
  queue?: string;
  /** `ctx.job.attempt`: 1 on the first run. Default 1. */
  attempt?: number;
  /** `ctx.signal`. Default: a signal that never aborts. */
  signal?: AbortSignal;
  /** What `ctx.childResults()` gives, as a flow's parent would read it. Default `[]`. */
  childResults?: unknown[];
  /**
   * Steps already done, by id, with their results: `ctx.step` returns these without calling
   * its function, as on a retry after they ran. Default: none.
   */
  steps?: Record<string, unknown>;
  /** What `ctx.waitForEvent(name)` resolves with, by event name; `null` for the others. */
  events?: Record<string, unknown>;
}

/** What `TaskQueueTester.drain()` may do besides running the jobs due. */
export interface DrainOptions {
  /**
   * Times out the waits for events (`ctx.waitForEvent`) that no event ended: each such job
   * resumes with `null`, on the testing kit's clock moved on to its timeout. Default `false`:
   * they wait for `sendEvent`, unless their timeout passed on that clock (a sleep moved it).
   */
  timeouts?: boolean;
}

/** A durable step (`ctx.step`) a job did, with its stored result. */
export interface RecordedStep {
  /** The id the task gave the step. */
  id: string;
  /** Its result, as stored (through JSON); `undefined` for none. */
  result: unknown;
  /** When its result was stored. */
  at: Date;
}

/** A `TaskContext` for a unit test, whose queue records what is enqueued on it. */
export interface TestTaskContext extends TaskContext {
  /** Every job enqueued through `ctx.queue`, in order. */
  readonly enqueued: RecordedJob[];
  /** The seconds the last `ctx.rateLimit()` asked the queue to pause for; else `undefined`. */
  readonly rateLimited: number | undefined;
  /**
   * Every step `ctx.step` ran (and stored), in order; a step given in `steps` is not run
   * again and is not listed.
   */
  readonly steps: RecordedStep[];
  /** The seconds of each `ctx.sleep()`, in order (each resolved at once). */
  readonly slept: number[];
}
