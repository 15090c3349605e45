import type { ScheduledTaskOptions } from '../interfaces/task-options.interface.js';
import { defineTask } from './task.decorator.js';

/**
 * Marks a provider method as a task that also runs on a cron schedule. It can still be
 * enqueued by name at any time.
 *
 * @example
 * ```ts
 * @ScheduledTask({ cron: '0 2 * * *', timeout: 900 }) // daily at 02:00 UTC
 * async cleanupOldRecords(ctx: TaskContext) {
 *   return { deleted: 0 };
 * }
 * ```
 */
export function ScheduledTask(options: ScheduledTaskOptions): MethodDecorator {
  return defineTask({ ...options });
}
