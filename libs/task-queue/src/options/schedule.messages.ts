import { describe } from '../errors/error-text.js';

/** @internal The text of the errors of a schedule's options (cron, every, timeZone), decorated or runtime. */
export const scheduleMessages = {
  invalidCron: (where: string, cron: unknown, problem: string) =>
    `${where}: cron ${describe(cron)} ${problem}. Use 5 fields (minute hour day-of-month month ` +
    `day-of-week, e.g. '0 2 * * *') or 6 with seconds first (e.g. '*/10 * * * * *').`,
  invalidEvery: (where: string, every: unknown, problem: string) =>
    `${where}: every ${describe(every)} ${problem}. Give the interval in seconds, e.g. ` +
    `every: 30 (or 0.5 for half a second).`,
  everyWithCron: (where: string) =>
    `${where}: 'every' cannot be combined with 'cron' or 'timeZone'. Keep 'every' for a fixed ` +
    `interval, or 'cron' (with 'timeZone') for times of day.`,
  noSchedule: (where: string) =>
    `${where}: @ScheduledTask() needs 'cron' (e.g. '0 2 * * *') or 'every' (seconds, e.g. 30).`,
  noRuntimeSchedule: (where: string) =>
    `${where}: give 'cron' (e.g. '0 2 * * *') or 'every' (seconds, e.g. 30).`,
  notScheduleOptions: (where: string, options: unknown) =>
    `${where}: options are ${describe(options)}; expected an object such as { every: 30 } or ` +
    `{ cron: '0 2 * * *', timeZone: 'Europe/Paris', payload: {...} }.`,
  unknownScheduleOption: (where: string, option: string) =>
    `${where}: unknown option '${option}'. Known: cron, every, timeZone, payload, id, overlap.`,
  invalidTimeZone: (where: string, timeZone: unknown) =>
    `${where}: timeZone ${describe(timeZone)} is not a known IANA time zone. Use a name such ` +
    `as 'UTC' (the default), 'Europe/Paris' or 'America/New_York'.`,
};
