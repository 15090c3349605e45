import { CronExpressionParser } from 'cron-parser';
import type { TaskSchedule } from '../interfaces/task-schedule.interface.js';
import type { TaskJobOptions } from '../producer/job-settings.js';
import { RUNTIME_SCHEDULER_ID_PREFIX, SCHEDULER_ID_PREFIX } from '../task-queue.constants.js';

/** @internal The id of the schedule that runs task `name` for its `@ScheduledTask()`. */
export const schedulerIdOf = (name: string): string => `${SCHEDULER_ID_PREFIX}${name}`;

/** @internal When a schedule runs: a cron in a zone, or every so many ms. */
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

/** @internal What each tick of a schedule enqueues. */
export interface ScheduleTemplate {
  name: string;
  data: object;
  opts: TaskJobOptions;
}

/** @internal A schedule to keep in a store: a checked `TaskQueue.schedule()`, or a decorator's. */
export interface RuntimeSchedule {
  /** The schedule's id, with {@link SCHEDULER_ID_PREFIX} or {@link RUNTIME_SCHEDULER_ID_PREFIX}. */
  id: string;
  when: When;
  template: ScheduleTemplate;
}

/** @internal A schedule as a store keeps it, with its next run. */
export interface StoredSchedule extends RuntimeSchedule {
  next: Date;
}

/**
 * @internal The schedules of one queue, in whatever store its jobs live in. Every process on
 * the queue sees the same ones.
 */
export interface QueueSchedules {
  /** Every schedule of the queue, this library's and other code's, soonest first. */
  list(): Promise<StoredSchedule[]>;
  /** Whether schedule `id` exists. */
  has(id: string): Promise<boolean>;
  /**
   * Creates or replaces schedule `schedule.id`; its first run is not before `startDate`
   * (`Date.now()` ms) when given.
   */
  upsert(schedule: RuntimeSchedule, startDate?: number): Promise<void>;
  /** Removes schedule `id`; `false` when there was none. */
  remove(id: string): Promise<boolean>;
  /**
   * Runs `work` holding this queue's schedules lock, shared by every process on the store,
   * waiting while another holds it. Returns `undefined` without running `work` once `cancelled()`.
   */
  withLock<T>(work: () => Promise<T>, cancelled: () => boolean): Promise<T | undefined>;
}

/** @internal Where the schedules of an application's queues live (a Nest provider). */
export abstract class ScheduleStore {
  abstract queue(name: string): QueueSchedules;
}

/** @internal A template's job options with the schedule's overlap rule in them. */
export const withOverlap = (opts: TaskJobOptions, overlap: boolean | undefined): TaskJobOptions =>
  overlap === false ? { ...opts, taskOverlap: false } : opts;

/** @internal Who made the schedule with this id, or `undefined` when it is not this library's. */
export function sourceOf(id: string): TaskSchedule['source'] | undefined {
  if (id.startsWith(SCHEDULER_ID_PREFIX)) return 'decorator';
  return id.startsWith(RUNTIME_SCHEDULER_ID_PREFIX) ? 'runtime' : undefined;
}

/**
 * @internal The public view of a stored schedule, or `undefined` for one this library did not
 * make (other code's schedules on the same queue).
 */
export function toTaskSchedule({
  id,
  when,
  template,
  next,
}: StoredSchedule): TaskSchedule | undefined {
  const source = sourceOf(id);
  if (!source) return undefined;
  return {
    id,
    source,
    name: template.name,
    ...('every' in when ? { every: when.every / 1000 } : { cron: when.pattern, timeZone: when.tz }),
    overlap: template.opts.taskOverlap !== false,
    next,
  };
}

/** @internal The schedules among `stored` this library made, in the public view. */
export const publicSchedules = (stored: StoredSchedule[]): TaskSchedule[] =>
  stored.flatMap((schedule) => toTaskSchedule(schedule) ?? []);
