import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ProcessTimers } from '../discovery/process-timers.js';
import { ProcessClock } from './process-clock.js';

/** Longest delay `setTimeout` keeps (about 24.8 days); a later time is reached in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** @internal A one-off run in this process: at a time, or some milliseconds after bootstrap. */
export interface LocalTimer {
  /** `Class.method`, for the log. */
  where: string;
  when: { at: Date } | { afterMs: number };
  run: () => unknown;
}

/**
 * @internal With `schedule: 'distributed'`, `@nestjs/schedule`'s `@Timeout()` and one-off
 * `@Cron(date)` methods keep running in each process, as `ScheduleModule` ran them: armed at
 * bootstrap, cleared at shutdown, an error logged (there is no job to fail).
 */
@Injectable()
export class LocalTimers
  implements ProcessTimers, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('TaskQueueModule');
  private readonly timers: LocalTimer[] = [];
  private readonly handles = new Set<NodeJS.Timeout>();

  constructor(private readonly clock: ProcessClock) {}

  add(timer: LocalTimer): void {
    this.timers.push(timer);
  }

  onApplicationBootstrap(): void {
    const now = this.clock.now();
    for (const timer of this.timers) {
      const due = 'at' in timer.when ? timer.when.at.getTime() : now + timer.when.afterMs;
      if (due < now) {
        const date = new Date(due).toISOString();
        this.logger.warn(`${timer.where}: @Cron(${date}) is in the past and will never run.`);
        continue;
      }
      this.arm(timer, due);
    }
  }

  beforeApplicationShutdown(): void {
    for (const handle of this.handles) this.clock.clearTimeout(handle);
    this.handles.clear();
  }

  private arm(timer: LocalTimer, due: number): void {
    const delay = Math.max(0, due - this.clock.now());
    const handle = this.clock.setTimeout(
      () => {
        this.handles.delete(handle);
        if (delay > MAX_DELAY_MS) this.arm(timer, due);
        else void this.fire(timer);
      },
      Math.min(delay, MAX_DELAY_MS),
    );
    this.handles.add(handle);
  }

  private async fire({ where, run }: LocalTimer): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.error(`${where} failed: ${(error as Error)?.stack ?? String(error)}`);
    }
  }
}
