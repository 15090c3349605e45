import { TASK_METADATA, TASK_PARAM_TOKENS } from '../task-queue.constants.js';
import { TaskDefinitionError } from '../errors/task-definition.error.js';
import { decoratorMessages } from './decorator.messages.js';
import { recordTaskDefinition } from '../discovery/task-catalogue.js';
import { attributeParameterTokens } from '../discovery/task-parameters.attribution.js';
import type { TaskMetadata, TaskOptions } from '../interfaces/task-options.interface.js';

/** @internal Stores task metadata on a method and records it in the catalogue. */
export function defineTask(meta: TaskMetadata): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    // Discovery reads the methods of provider instances: a static one would never run.
    if (typeof target === 'function') {
      throw new TaskDefinitionError(
        decoratorMessages.staticTask(`${target.name}.${String(propertyKey)}`),
      );
    }
    const className = (target as { constructor: { name: string } }).constructor.name;
    Reflect.defineMetadata(TASK_METADATA, meta, descriptor.value as object);
    // Once per method: a second task decorator on it would find its entries already seen.
    if (!Reflect.hasOwnMetadata(TASK_PARAM_TOKENS, target, propertyKey)) {
      const tokens = attributeParameterTokens(target, propertyKey);
      Reflect.defineMetadata(TASK_PARAM_TOKENS, tokens, target, propertyKey);
    }
    recordTaskDefinition(className, String(propertyKey), meta);
    return descriptor;
  };
}

/**
 * Marks a provider method as a background task, found at bootstrap: no registration needed.
 * The method receives `(ctx: TaskContext, payload, ...injected)`: every parameter after the
 * payload is resolved by Nest DI for each job, by its class or by `@Inject(TOKEN)` (or
 * `@TaskInject(TOKEN)`, where bootstrap says another method's `@Inject()` may be meant for it).
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
