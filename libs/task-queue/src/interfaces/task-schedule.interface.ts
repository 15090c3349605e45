/** One schedule of a queue, as stored in the backend: what will actually run. */
export interface TaskSchedule {
  /**
   * The schedule's id: `task-queue:<task name>` for a `@ScheduledTask()` method,
   * `task-queue-runtime:<id>` for one made by `TaskQueue.schedule()` (what `unschedule` takes).
   */
  id: string;
  /** Who made it: a `@ScheduledTask()` method (`'decorator'`) or `TaskQueue.schedule()` (`'runtime'`). */
  source: 'decorator' | 'runtime';
  /** The task's name; each tick runs it with the schedule's payload (a decorator's `kwargs`). */
  name: string;
  /** The cron pattern (5 fields, or 6 with seconds first); absent for an interval. */
  cron?: string;
  /** The IANA time zone the cron pattern is read in, e.g. `'UTC'`; absent for an interval. */
  timeZone?: string;
  /** Seconds between runs, for a schedule with `every`; absent for a cron. */
  every?: number;
  /** `false` when a tick is skipped while the schedule's previous run is still active. */
  overlap: boolean;
  /** When the next run is due (an absolute instant). */
  next: Date;
}

/**
 * When and how `TaskQueue.schedule()` runs a task: a `cron` pattern or an interval (`every`),
 * not both.
 */
export type ScheduleOptions = ScheduleSettings & ScheduleTiming;

/**
 * When a schedule runs: a `cron` pattern or an interval (`every`), not both.
 *
 * @inline
 */
export type ScheduleTiming =
  | {
      /** Cron pattern: 5 fields (`'0 2 * * *'`), or 6 with seconds first (`'0 0/15 * * * *'`). */
      cron: string;
      /** Not with `cron`: one or the other. */
      every?: undefined;
    }
  | {
      /** Run every this many seconds (whole milliseconds). */
      every: number;
      /** Not with `every`: one or the other. */
      cron?: undefined;
      /** Not with `every`: an interval runs the same in every time zone. */
      timeZone?: undefined;
    };

/** Settings of `TaskQueue.schedule()` besides when it runs. */
export interface ScheduleSettings {
  /** Cron pattern: 5 fields (`'0 2 * * *'`), or 6 with seconds first (`'0 0/15 * * * *'`). */
  cron?: string;
  /** Instead of `cron`: run every this many seconds (whole milliseconds). */
  every?: number;
  /** IANA time zone the cron pattern is read in. Default `'UTC'`. */
  timeZone?: string;
  /** The payload of every run (plain data, checked as an enqueue's is). Default `{}`. */
  payload?: object;
  /**
   * The schedule's own id (same rule as a task name): scheduling the same id again replaces
   * the schedule. Default: a new random id. The returned id is this one, namespaced.
   */
  id?: string;
  /**
   * `false`: a tick is skipped (and logged once per skipped streak) while the previous run of
   * this schedule is still active, in any process. Default `true`.
   */
  overlap?: boolean;
}
