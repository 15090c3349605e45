import type { TaskDefinition, TaskMetadata } from '../interfaces/task-options.interface.js';

/** Read-only view of every decorated task method in loaded code. */
export interface TaskCatalogue {
  /** Every `@Task()` / `@ScheduledTask()` method defined so far, in definition order. */
  getAllTasks(): TaskDefinition[];
}

// Filled by the decorators as classes are defined: a description of code, not of any
// application, so unit tests can inspect it without bootstrapping Nest.
const definitions: TaskDefinition[] = [];

/** @internal Called by the decorators. */
export function recordTaskDefinition(className: string, methodName: string, meta: TaskMetadata) {
  definitions.push(toDefinition(meta.name ?? methodName, meta.queue, className, methodName, meta));
}

/** @internal Shapes a definition; shared with the application's {@link TaskRegistry}. */
export function toDefinition(
  name: string,
  queue: string | undefined,
  className: string,
  methodName: string,
  meta: TaskMetadata,
): TaskDefinition {
  const definition: TaskDefinition = { name, queue, className, methodName };
  if (meta.cron !== undefined) definition.cron = meta.cron;
  if (meta.every !== undefined) definition.every = meta.every;
  if (meta.timeZone !== undefined) definition.timeZone = meta.timeZone;
  if (meta.overlap !== undefined) definition.overlap = meta.overlap;
  if (meta.timeout !== undefined) definition.timeout = meta.timeout;
  if (meta.kwargs !== undefined) definition.kwargs = { ...meta.kwargs };
  return Object.freeze(definition);
}

const catalogue: TaskCatalogue = {
  getAllTasks: () => [...definitions],
};

/**
 * The catalogue of every decorated task method in loaded code, filled when the classes are
 * defined. `queue` is undefined where the decorator named none.
 *
 * @example
 * ```ts
 * import './users/users.tasks.js';
 * expect(getRegistry().getAllTasks().map((t) => t.name)).toContain('send_welcome_email');
 * ```
 */
export function getRegistry(): TaskCatalogue {
  return catalogue;
}
