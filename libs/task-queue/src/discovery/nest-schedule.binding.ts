import { TaskDefinitionError } from '../errors/index.js';
import type { TaskMetadata } from '../interfaces/task-options.interface.js';
import { NAME_PATTERN } from '../task-queue.constants.js';
import { discoveryMessages } from './discovery.messages.js';
import type { NestSchedule } from './nest-schedule.metadata.js';

/**
 * @internal What `schedule: 'distributed'` makes of a method decorated by @nestjs/schedule: a
 * task on the default queue (scheduled once per tick across processes, or, when disabled, not
 * scheduled), or a one-off run in each process (`@Timeout`, `@Cron` at a `Date`).
 */
export type AdoptedSchedule =
  | { kind: 'task'; meta: TaskMetadata }
  | { kind: 'timer'; at: Date }
  | { kind: 'timer'; afterMs: number };

/** @internal Converts a @nestjs/schedule decorator of `className.methodName`. */
export function adoptNestSchedule(
  className: string,
  methodName: string,
  found: NestSchedule,
): AdoptedSchedule {
  const where = `${className}.${methodName}`;
  if (found.type === 'timeout') return { kind: 'timer', afterMs: checkedMs(where, found) };
  // The decorator's name when it is a valid task name, else one that is unique in the app.
  const name = typeof found.name === 'string' && NAME_PATTERN.test(found.name) ? found.name : where;
  if (found.type === 'interval') {
    return { kind: 'task', meta: { name, scheduled: true, every: checkedMs(where, found) / 1000 } };
  }
  const { cronTime, timeZone, utcOffset, disabled, waitForCompletion } = found.options;
  const at = dateOf(cronTime);
  if (at) return { kind: 'timer', at };
  if (typeof cronTime !== 'string') {
    throw new TaskDefinitionError(discoveryMessages.nestCronTime(where, cronTime));
  }
  const meta: TaskMetadata = { name };
  if (waitForCompletion === true) meta.overlap = false;
  if (disabled === true) return { kind: 'task', meta };
  meta.scheduled = true;
  meta.cron = cronTime;
  if (utcOffset !== undefined && utcOffset !== null) {
    if (timeZone !== undefined && timeZone !== null) {
      throw new TaskDefinitionError(discoveryMessages.nestZoneAndOffset(where));
    }
    meta.timeZone = zoneOfOffset(where, utcOffset);
  } else if (timeZone !== undefined && timeZone !== null) {
    meta.timeZone = timeZone as string;
  }
  return { kind: 'task', meta };
}

/** A one-off `@Cron` time: a `Date`, or a Luxon `DateTime` (which @nestjs/schedule accepts). */
function dateOf(cronTime: unknown): Date | undefined {
  if (cronTime instanceof Date) return cronTime;
  const toJSDate = (cronTime as { toJSDate?: unknown } | null)?.toJSDate;
  if (typeof cronTime === 'object' && typeof toJSDate === 'function') {
    const date: unknown = toJSDate.call(cronTime);
    if (date instanceof Date) return date;
  }
  return undefined;
}

/** The milliseconds of `@Interval` / `@Timeout`: whole and positive (`@Timeout(0)` allowed). */
function checkedMs(where: string, found: { type: 'interval' | 'timeout'; ms: unknown }): number {
  const { type, ms } = found;
  const least = type === 'interval' ? 1 : 0;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < least) {
    throw new TaskDefinitionError(discoveryMessages.nestTimerMs(where, type, ms));
  }
  return ms;
}

/**
 * `utcOffset` (minutes east of UTC, as the `cron` package reads it) as an IANA fixed-offset
 * zone: `Etc/GMT-2` is UTC+2 (POSIX signs are inverted). IANA has such zones for whole hours
 * from UTC-12 to UTC+14 only; other offsets are refused, with the way out.
 */
function zoneOfOffset(where: string, utcOffset: unknown): string {
  if (
    typeof utcOffset !== 'number' ||
    !Number.isInteger(utcOffset / 60) ||
    utcOffset < -12 * 60 ||
    utcOffset > 14 * 60
  ) {
    throw new TaskDefinitionError(discoveryMessages.nestUtcOffset(where, utcOffset));
  }
  const hours = utcOffset / 60;
  if (hours === 0) return 'UTC';
  return hours > 0 ? `Etc/GMT-${hours}` : `Etc/GMT+${-hours}`;
}
