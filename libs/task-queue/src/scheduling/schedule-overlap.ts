import type { LoggerService } from '@nestjs/common';
import { schedulingMessages } from './scheduling.messages.js';

/** @internal A job as the overlap rule reads it. */
export interface ScheduleTick {
  /** The job's id. */
  readonly id?: string;
  /** The task it runs. */
  readonly name: string;
  /** The id of the schedule that made it; absent on a job not made by a schedule. */
  readonly schedule?: string;
  /** The schedule's `overlap` setting, as its jobs carry it. */
  readonly overlap?: boolean;
}

/** @internal Whether another tick of `tick`'s schedule is active, in any process. */
export type OtherTickActive = (tick: ScheduleTick) => Promise<boolean>;

/**
 * @internal `overlap: false` for one queue's worker: a tick of such a schedule that starts while
 * another tick of it is active is skipped. A tick is active (in the backend) before its run
 * starts, so of two ticks that check at once neither misses the other: one of them, or both,
 * skips, and two runs never overlap. The first skip of a streak is logged, in each process.
 */
export class ScheduleOverlap {
  /** Schedules whose last tick here was skipped: their next skips are not logged again. */
  private readonly skipping = new Set<string>();

  constructor(
    private readonly queueName: string,
    private readonly otherTickActive: OtherTickActive,
    private readonly logger: LoggerService,
  ) {}

  /** Whether `job` is a tick of an `overlap: false` schedule, the only ones to check. */
  static applies(job: ScheduleTick): boolean {
    return !!job.schedule && job.overlap === false;
  }

  /** Whether tick `job` must be skipped. */
  async skips(job: ScheduleTick): Promise<boolean> {
    const schedule = job.schedule!;
    if (!(await this.otherTickActive(job))) {
      this.skipping.delete(schedule);
      return false;
    }
    if (!this.skipping.has(schedule)) {
      this.skipping.add(schedule);
      this.logger.warn(schedulingMessages.overlapSkipped(schedule, job.name, this.queueName));
    }
    return true;
  }
}
