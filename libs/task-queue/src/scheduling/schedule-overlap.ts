import type { LoggerService } from '@nestjs/common';
import type { TaskJobOptions } from '../producer/job-settings.js';
import { messages } from '../task-queue.messages.js';

/**
 * @internal A job as the overlap rule reads it (a worker's job, as is): its id, its task, and
 * `repeatJobKey`, the id of the schedule that made it, absent on a job not made by a schedule.
 */
export interface ScheduleTick {
  readonly id?: string;
  readonly name: string;
  readonly repeatJobKey?: string;
  readonly opts: object;
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
    return !!job.repeatJobKey && (job.opts as TaskJobOptions).taskOverlap === false;
  }

  /** Whether tick `job` must be skipped. */
  async skips(job: ScheduleTick): Promise<boolean> {
    const schedule = job.repeatJobKey!;
    if (!(await this.otherTickActive(job))) {
      this.skipping.delete(schedule);
      return false;
    }
    if (!this.skipping.has(schedule)) {
      this.skipping.add(schedule);
      this.logger.warn(messages.overlapSkipped(schedule, job.name, this.queueName));
    }
    return true;
  }
}
