/** One scheduled task of a queue, as stored in Redis: what will actually run. */
export interface TaskSchedule {
  /** The task's name; each tick runs it with its `kwargs` as payload. */
  name: string;
  /** The cron pattern: 5 fields, or 6 with seconds first. */
  cron: string;
  /** The IANA time zone the pattern is read in, e.g. `'UTC'` or `'America/New_York'`. */
  timeZone: string;
  /** When the next run is due (an absolute instant). */
  next: Date;
}
