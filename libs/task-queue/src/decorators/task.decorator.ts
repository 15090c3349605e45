import { TASK_METADATA } from '../task-queue.constants.js';
import { recordTaskDefinition } from '../task-catalogue.js';
import type { TaskMetadata, TaskOptions } from '../interfaces/task-options.interface.js';

/** @internal Stores task metadata on a method and records it in the catalogue. */
export function defineTask(meta: TaskMetadata): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const className = (target as { constructor: { name: string } }).constructor.name;
    Reflect.defineMetadata(TASK_METADATA, meta, descriptor.value as object);
    recordTaskDefinition(className, String(propertyKey), meta);
    return descriptor;
  };
}

/**
 * Marks a provider method as a background task, found at bootstrap: no registration needed.
 * The method receives `(ctx: TaskContext, payload, ...injected)`.
 *
 * @param nameOrOptions the task name (default: the method name), or {@link TaskOptions}.
 * @example
 * ```ts
 * @Injectable()
 * export class EmailTasks {
 *   @Task('send_email')
 *   async send(ctx: TaskContext, payload: { to: string }) {
 *     return { sent: true };
 *   }
 * }
 * ```
 */
export function Task(nameOrOptions: string | TaskOptions = {}): MethodDecorator {
  const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : nameOrOptions;
  return defineTask({ ...options });
}
