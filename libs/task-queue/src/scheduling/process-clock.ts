/**
 * @internal The time and the timers of this process, as `LocalTimers` reads and arms them: the
 * system's by default. A test replaces it (`overrideProvider(ProcessClock)`) to make the time of
 * a one-off `@Cron(date)` come at once instead of waiting for it.
 *
 * Only this process's own timers read it: the schedules' ticks are BullMQ's, due by the time of
 * the process that stores them, so a clock of our own there would only put the two apart.
 */
export abstract class ProcessClock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  abstract now(): number;
  /** Calls `run` once, after `ms` milliseconds of this clock. */
  abstract setTimeout(run: () => void, ms: number): NodeJS.Timeout;
  abstract clearTimeout(handle: NodeJS.Timeout): void;
}

/** @internal `Date.now()` and the global timers. */
export class SystemClock extends ProcessClock {
  now(): number {
    return Date.now();
  }

  setTimeout(run: () => void, ms: number): NodeJS.Timeout {
    return setTimeout(run, ms);
  }

  clearTimeout(handle: NodeJS.Timeout): void {
    clearTimeout(handle);
  }
}
