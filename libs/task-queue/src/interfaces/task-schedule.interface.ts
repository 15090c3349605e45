/** One scheduled task of a queue, as stored in the backend: what will actually run. */
export interface TaskSchedule {
  /** The task's name; each tick runs it with its `kwargs` as payload. */
  name: string;
  /** The cron pattern (5 fields, or 6 with seconds first); absent for an interval. */
  cron?: string;
  /** The IANA time zone the cron pattern is read in, e.g. `'UTC'`; absent for an interval. */
  timeZone?: string;
  /** Seconds between runs, for a task scheduled with `every`; absent for a cron. */
  every?: number;
  /** When the next run is due (an absolute instant). */
  next: Date;
}
