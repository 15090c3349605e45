import type { Job, JobSchedulerJson, Queue } from 'bullmq';
import type { TaskJobOptions } from '../producer/job-settings.js';
import type { TaskSchedule } from '../interfaces/task-schedule.interface.js';
import type { OtherTickActive, ScheduleTick } from '../scheduling/schedule-overlap.js';
import {
  publicSchedules,
  ScheduleStore,
  type QueueSchedules,
  type RuntimeSchedule,
  type StoredSchedule,
  type When,
} from '../scheduling/task-schedule.store.js';
import { DEFAULT_TIME_ZONE } from '../task-queue.constants.js';
import type { QueueBackend } from './queue-backend.js';

/** @internal The schedules of the application's queues, as BullMQ job schedulers. */
export class BullScheduleStore extends ScheduleStore {
  constructor(private readonly backend: QueueBackend) {
    super();
  }

  queue(name: string): QueueSchedules {
    return new BullQueueSchedules(this.backend.queue(name, 'worker'), (work, cancelled) =>
      this.backend.withLock(`${name}:task-queue:schedules-lock`, work, cancelled),
    );
  }
}

/** @internal One queue's job schedulers, read and written through its BullMQ `Queue`. */
export class BullQueueSchedules implements QueueSchedules {
  constructor(
    private readonly queue: Queue,
    readonly withLock: QueueSchedules['withLock'],
  ) {}

  list(): Promise<StoredSchedule[]> {
    return readStored(this.queue);
  }

  async has(id: string): Promise<boolean> {
    return !!(await this.queue.getJobScheduler(id));
  }

  async upsert({ id, when, template }: RuntimeSchedule, startDate?: number): Promise<void> {
    const repeat = startDate === undefined ? when : { ...when, startDate };
    await this.queue.upsertJobScheduler(id, repeat, template);
  }

  remove(id: string): Promise<boolean> {
    return this.queue.removeJobScheduler(id);
  }
}

/** @internal The job schedulers of `queue`, soonest first. */
async function readStored(queue: Queue): Promise<StoredSchedule[]> {
  const schedulers = await queue.getJobSchedulers(0, -1, true);
  return schedulers.flatMap((scheduler) => toStored(scheduler) ?? []);
}

/** @internal Every schedule of this library on `queue`, decorator and runtime, soonest first. */
export const listSchedules = async (queue: Queue): Promise<TaskSchedule[]> =>
  publicSchedules(await readStored(queue));

/** A BullMQ job scheduler as a stored schedule; `undefined` for one with neither cron nor interval. */
function toStored(scheduler: JobSchedulerJson): StoredSchedule | undefined {
  const { key, name, pattern, tz, every, template, next } = scheduler;
  if (!pattern && !every) return undefined;
  const when: When = pattern ? { pattern, tz: tz ?? DEFAULT_TIME_ZONE } : { every: Number(every) };
  return {
    id: key,
    when,
    template: {
      name,
      data: (template?.data ?? {}) as object,
      // Written by this library's own upsert, from a TaskJobOptions.
      opts: (template?.opts ?? {}) as TaskJobOptions,
    },
    next: new Date(next!),
  };
}

/**
 * @internal A job as the overlap rule reads it: BullMQ sets `repeatJobKey` to the id of the
 * scheduler that made the job (pinned by bullmq.schedules.spec.ts).
 */
export const scheduleTickOf = (job: Job): ScheduleTick => ({
  id: job.id,
  name: job.name,
  schedule: job.repeatJobKey,
  overlap: (job.opts as TaskJobOptions).taskOverlap,
});

/**
 * @internal Whether another tick of a schedule is active on `queue`, in any process, read from
 * the backend by job id only (see `scheduleTickOf` for how a job becomes a tick). BullMQ's own format, on Redis and PostgreSQL alike: a scheduler's
 * jobs are named `repeat:<scheduler id>:<tick millis>` (pinned by bullmq.schedules.spec.ts).
 */
export const otherTickActiveOn =
  (queue: Queue): OtherTickActive =>
  async (tick) => {
    const prefix = `repeat:${tick.schedule}:`;
    const active = await queue.getRanges(['active'], 0, -1);
    return active.some((id) => id !== tick.id && id.startsWith(prefix));
  };
