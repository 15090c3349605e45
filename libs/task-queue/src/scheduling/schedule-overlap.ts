import type { LoggerService } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import type { TaskJobOptions } from '../producer/enqueue-options.js';
import { messages } from '../task-queue.messages.js';

/** @internal Whether another tick of `job`'s schedule is active, in any process. */
export type OtherTickActive = (job: Job) => Promise<boolean>;

/**
 * @internal Reads the queue's active jobs from the backend, by id only: BullMQ names a
 * scheduler's jobs `repeat:<scheduler id>:<tick millis>`, on Redis and PostgreSQL alike.
 */
export const otherTickActiveOn =
  (queue: Queue): OtherTickActive =>
  async (job) => {
    const prefix = `repeat:${job.repeatJobKey}:`;
    const active = await queue.getRanges(['active'], 0, -1);
    return active.some((id) => id !== job.id && id.startsWith(prefix));
  };

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
  static applies(job: Job): boolean {
    return !!job.repeatJobKey && (job.opts as TaskJobOptions).taskOverlap === false;
  }

  /** Whether tick `job` must be skipped. */
  async skips(job: Job): Promise<boolean> {
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
