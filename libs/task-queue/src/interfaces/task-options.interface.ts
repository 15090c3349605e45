import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ScheduleTiming } from './task-schedule.interface.js';

/** How many finished jobs to keep, and for how long. */
export interface KeepJobs {
  /** Seconds a finished job is kept. */
  age?: number;
  /** Most finished jobs kept per queue. */
  count?: number;
}

/** Retention of finished jobs; what is not kept reads back as `undefined` from `getJob`. */
export interface RetentionOptions {
  /** Default: a day, at most 1000 per queue. */
  completed?: KeepJobs;
  /** Default: a week, at most 10000 per queue. */
  failed?: KeepJobs;
}

/** Options of `@Task()`. Durations are seconds (fractions allowed). */
export interface TaskOptions {
  /** Task name. Default: the method name. */
  name?: string;
  /** Queue the task runs on. Default: the module's `defaultQueue`. */
  queue?: string;
  /** Longest a run may take, in seconds. */
  timeout?: number;
  /** Extra attempts after the first failure. Default 0 (run once). */
  retries?: number;
  /** Seconds to wait before a retry. Default 0. */
  retryDelay?: number;
  /**
   * Double the retry delay at each attempt, with jitter (`true`: capped at an hour), or cap it at
   * this many seconds. Default `false`: every retry waits `retryDelay`.
   */
  retryBackoff?: boolean | number;
  /**
   * Default priority of this task's jobs: 1 is the most urgent, up to 2 097 152. A job without a
   * priority runs before any job with one (BullMQ's order). Default: none.
   */
  priority?: number;
  /** Whether a run that timed out is retried like any other failure. Default `true`. */
  retryOnTimeout?: boolean;
  /** Finished jobs of this task kept; overrides the module's `retention`. */
  retention?: RetentionOptions;
  /**
   * Payload validator (any Standard Schema: zod, valibot, arktype...). Checked at enqueue, where a
   * bad payload is rejected, and again in the worker, where a failure is final.
   */
  schema?: StandardSchemaV1;
}

/** Options of `@ScheduledTask()`: a `cron` pattern or an interval (`every`), not both. */
export type ScheduledTaskOptions = ScheduledTaskSettings & ScheduleTiming;

/**
 * Settings of `@ScheduledTask()` besides when it runs.
 *
 * @inline
 */
export interface ScheduledTaskSettings {
  /**
   * Cron pattern: 5 fields (`'0 2 * * *'`), or 6 with seconds first (`'0 0/15 * * * *'`).
   * `@nestjs/schedule`'s `CronExpression` constants are such patterns.
   */
  cron?: string;
  /** Instead of `cron`: run every this many seconds (BullMQ's `every`; whole milliseconds). */
  every?: number;
  /** IANA time zone the cron pattern is read in, daylight saving included. Default `'UTC'`. */
  timeZone?: string;
  /** Longest a run may take, in seconds. */
  timeout?: number;
  /** Default payload fields of every run; an explicit payload wins. */
  kwargs?: Record<string, unknown>;
  /** Task name. Default: the method name. */
  name?: string;
  /** Queue the task runs on. Default: the module's `defaultQueue`. */
  queue?: string;
  /**
   * `false`: a tick is skipped (and logged once per skipped streak) while the previous run of this
   * schedule is still active, in any process. Default `true`: ticks run whatever is running.
   */
  overlap?: boolean;
}

/** What one decorated method declares, as stored in its metadata. */
export interface TaskMetadata extends TaskOptions {
  /** Set by `@ScheduledTask()`. */
  scheduled?: true;
  cron?: string;
  /** Seconds. */
  every?: number;
  timeZone?: string;
  kwargs?: Record<string, unknown>;
  /** `false`: a tick is skipped while the schedule's previous run is active. */
  overlap?: boolean;
}

/** A task as catalogued by {@link getRegistry} and {@link TaskRegistry}. */
export interface TaskDefinition {
  /** The task's name (the method's name unless the decorator gave one). */
  name: string;
  /**
   * The queue the task runs on. From {@link TaskRegistry}, always set (the module's
   * `defaultQueue` when the decorator named none); from {@link getRegistry}, only when the
   * decorator named one.
   */
  queue?: string;
  /** The cron pattern, for a `@ScheduledTask({ cron })`. */
  cron?: string;
  /** Seconds between runs, for a task scheduled with `every`. */
  every?: number;
  /** The IANA time zone `cron` is read in, when the decorator gave one (else UTC). */
  timeZone?: string;
  /** `false` when a tick is skipped while the schedule's previous run is still active. */
  overlap?: boolean;
  /** Longest a run may take, in seconds, when the decorator set one. */
  timeout?: number;
  /** A scheduled task's default payload fields (`@ScheduledTask({ kwargs })`). */
  kwargs?: object;
  /** The provider class that declares the method, e.g. `'UsersTasks'`. */
  className: string;
  /** The decorated method's name, e.g. `'sendWelcomeEmail'`. */
  methodName: string;
}
