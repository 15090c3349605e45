import type { ScheduledTaskOptions } from '../interfaces/task-options.interface.js';
import { defineTask } from './task.decorator.js';

/**
 * Marks a provider method as a task that also runs on a cron schedule (or every so many
 * seconds, with `every`), once per tick however
 * many processes run the application (a BullMQ job scheduler creates one job per tick). It can
 * still be enqueued by name at any time. Each run gets `kwargs` as its payload.
 *
 * The cron has 5 fields, or 6 with seconds first, read in `timeZone` (default `'UTC'`);
 * `@nestjs/schedule`'s `CronExpression` constants are accepted. An invalid cron or time zone
 * fails bootstrap with a `TaskDefinitionError` naming `Class.method`. See docs/scheduling.md.
 *
 * @example
 * ```ts
 * @ScheduledTask({ cron: '0 2 * * *', timeout: 900 }) // daily at 02:00 UTC
 * async cleanupOldRecords(ctx: TaskContext) {
 *   return { deleted: 0 };
 * }
 *
 * @ScheduledTask({ cron: CronExpression.EVERY_DAY_AT_9AM, timeZone: 'America/New_York',
 *                  kwargs: { batchSize: 100 } })
 * async morningDigest(ctx: TaskContext, payload: { batchSize: number }) {}
 *
 * @ScheduledTask({ every: 30 }) // every 30 seconds
 * async pollInbox(ctx: TaskContext) {}
 * ```
 */
export function ScheduledTask(options: ScheduledTaskOptions): MethodDecorator {
  return defineTask({ ...options, scheduled: true });
}
