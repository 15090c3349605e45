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
  /** Grow the retry delay exponentially (`true`), optionally capped at this many seconds. */
  retryBackoff?: boolean | number;
}

/** Options of `@ScheduledTask()`. */
export interface ScheduledTaskOptions {
  /**
   * Cron pattern: 5 fields (`'0 2 * * *'`), or 6 with seconds first (`'0 0/15 * * * *'`).
   * `@nestjs/schedule`'s `CronExpression` constants are such patterns.
   */
  cron: string;
  /** IANA time zone the pattern is read in, daylight saving included. Default `'UTC'`. */
  timeZone?: string;
  /** Longest a run may take, in seconds. */
  timeout?: number;
  /** Default payload fields of every run; an explicit payload wins. */
  kwargs?: Record<string, unknown>;
  /** Task name. Default: the method name. */
  name?: string;
  /** Queue the task runs on. Default: the module's `defaultQueue`. */
  queue?: string;
}

/** What one decorated method declares, as stored in its metadata. */
export interface TaskMetadata extends TaskOptions {
  cron?: string;
  timeZone?: string;
  kwargs?: Record<string, unknown>;
}

/** A task as catalogued by {@link getRegistry} and {@link TaskRegistry}. */
export interface TaskDefinition {
  name: string;
  queue?: string;
  cron?: string;
  timeZone?: string;
  timeout?: number;
  kwargs?: object;
  className: string;
  methodName: string;
}
