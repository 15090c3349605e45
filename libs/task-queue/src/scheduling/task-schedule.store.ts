import type { JobSchedulerJson, Queue } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import type { TaskSchedule } from '../interfaces/task-schedule.interface.js';
import type { TaskJobOptions } from '../producer/enqueue-options.js';
import {
  DEFAULT_TIME_ZONE,
  RUNTIME_SCHEDULER_ID_PREFIX,
  SCHEDULER_ID_PREFIX,
} from '../task-queue.constants.js';

/** @internal The id of the job scheduler that runs task `name`. */
export const schedulerIdOf = (name: string): string => `${SCHEDULER_ID_PREFIX}${name}`;

/** @internal When a schedule runs, as BullMQ's repeat options: a cron in a zone, or ms. */
export type When = { pattern: string; tz: string } | { every: number };

/** @internal A schedule's times, for log lines. */
export const describeWhen = (when: When): string =>
  'every' in when ? `every ${when.every / 1000} s` : `'${when.pattern}' (${when.tz})`;

/**
 * @internal When a schedule would next run if it started now, for the testing kit, where nothing
 * ticks (the first run of an interval is one interval away).
 */
export function nextRun(when: When, now = Date.now()): Date {
  if ('every' in when) return new Date(now + when.every);
  return CronExpressionParser.parse(when.pattern, { tz: when.tz, currentDate: now })
    .next()
    .toDate();
}

/** @internal A checked `TaskQueue.schedule()`: what its job scheduler is upserted with. */
export interface RuntimeSchedule {
  /** The scheduler's id, with {@link RUNTIME_SCHEDULER_ID_PREFIX}. */
  id: string;
  when: When;
  template: { name: string; data: object; opts: TaskJobOptions };
}

/** @internal A template's job options with the schedule's overlap rule in them. */
export const withOverlap = (opts: TaskJobOptions, overlap: boolean | undefined): TaskJobOptions =>
  overlap === false ? { ...opts, taskOverlap: false } : opts;

/**
 * @internal The job schedulers this library created on `queue` for `@ScheduledTask()` methods,
 * by task name, soonest first. Schedulers without the library's id prefix (those of other code,
 * and runtime schedules) are left out.
 */
export async function readSchedules(queue: Queue): Promise<Map<string, JobSchedulerJson>> {
  const schedulers = await queue.getJobSchedulers(0, -1, true);
  const ours = new Map<string, JobSchedulerJson>();
  for (const scheduler of schedulers) {
    if (scheduler.key.startsWith(SCHEDULER_ID_PREFIX) && (scheduler.pattern || scheduler.every)) {
      ours.set(scheduler.key.slice(SCHEDULER_ID_PREFIX.length), scheduler);
    }
  }
  return ours;
}

/** @internal Every schedule of this library on `queue`, decorator and runtime alike, soonest first. */
export async function listSchedules(queue: Queue): Promise<TaskSchedule[]> {
  const schedulers = await queue.getJobSchedulers(0, -1, true);
  const schedules: TaskSchedule[] = [];
  for (const scheduler of schedulers) {
    const source = sourceOf(scheduler.key);
    if (!source || !(scheduler.pattern || scheduler.every)) continue;
    const opts = (scheduler.template?.opts ?? {}) as TaskJobOptions;
    schedules.push({
      id: scheduler.key,
      source,
      name: scheduler.name,
      ...(scheduler.pattern
        ? { cron: scheduler.pattern, timeZone: scheduler.tz ?? DEFAULT_TIME_ZONE }
        : { every: Number(scheduler.every) / 1000 }),
      overlap: opts.taskOverlap !== false,
      next: new Date(scheduler.next!),
    });
  }
  return schedules;
}

/** @internal Who made the schedule with this id, or `undefined` when it is not this library's. */
export function sourceOf(id: string): TaskSchedule['source'] | undefined {
  if (id.startsWith(SCHEDULER_ID_PREFIX)) return 'decorator';
  return id.startsWith(RUNTIME_SCHEDULER_ID_PREFIX) ? 'runtime' : undefined;
}
