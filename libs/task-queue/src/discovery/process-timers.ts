import type { LocalTimer } from '../scheduling/local-timers.service.js';

/**
 * @internal Where discovery hands the one-off `@Timeout()` / `@Cron(date)` methods it finds with
 * `schedule: 'distributed'`: they run in each process, not through the workers. Implemented by
 * the scheduling side's `LocalTimers`.
 */
export abstract class ProcessTimers {
  abstract add(timer: LocalTimer): void;
}
