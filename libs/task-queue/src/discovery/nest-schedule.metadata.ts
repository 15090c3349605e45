// @nestjs/schedule exports no metadata keys and no accessor that works without its module, so
// `schedule: 'distributed'` reads what its decorators store under their string keys. These keys
// are an internal of that package (listed in the package README's compatibility notes); the spec
// test/nest-schedule.e2e-spec.ts decorates with the installed version and fails if they change.
// Nothing here imports @nestjs/schedule: it stays an optional peer.

/** The keys @nestjs/schedule's `@Cron`, `@Interval` and `@Timeout` set on a method. */
const SCHEDULER_NAME = 'SCHEDULER_NAME';
const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
const SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
const SCHEDULE_INTERVAL_OPTIONS = 'SCHEDULE_INTERVAL_OPTIONS';
const SCHEDULE_TIMEOUT_OPTIONS = 'SCHEDULE_TIMEOUT_OPTIONS';

/** Its `SchedulerType` enum. */
const CRON = 1;
const TIMEOUT = 2;
const INTERVAL = 3;

/**
 * @internal The token every `ScheduleModule.forRoot()` / `forRootAsync()` provides its options
 * under: when a provider of it is in the container, that module is imported.
 */
export const SCHEDULE_MODULE_OPTIONS = 'SCHEDULE_MODULE_OPTIONS';

/** @internal What `@Cron(cronTime, options)` stored: cron options with `cronTime` beside them. */
export interface NestCronOptions {
  cronTime?: unknown;
  name?: unknown;
  timeZone?: unknown;
  utcOffset?: unknown;
  disabled?: unknown;
  waitForCompletion?: unknown;
}

/** @internal A method decorated by @nestjs/schedule, as its decorator described it. */
export type NestSchedule =
  | { type: 'cron'; name: unknown; options: NestCronOptions }
  | { type: 'interval'; name: unknown; ms: unknown }
  | { type: 'timeout'; name: unknown; ms: unknown };

/** @internal The @nestjs/schedule decorator on `method`, if it has one. */
export function readNestSchedule(method: unknown): NestSchedule | undefined {
  if (typeof method !== 'function') return undefined;
  const get = (key: string): unknown => Reflect.getMetadata(key, method);
  const name = get(SCHEDULER_NAME);
  switch (get(SCHEDULER_TYPE)) {
    case CRON:
      return { type: 'cron', name, options: get(SCHEDULE_CRON_OPTIONS) ?? {} };
    case INTERVAL:
      return {
        type: 'interval',
        name,
        ms: (get(SCHEDULE_INTERVAL_OPTIONS) as TimerOptions)?.timeout,
      };
    case TIMEOUT:
      return {
        type: 'timeout',
        name,
        ms: (get(SCHEDULE_TIMEOUT_OPTIONS) as TimerOptions)?.timeout,
      };
    default:
      return undefined;
  }
}

interface TimerOptions {
  timeout?: unknown;
}
