import { SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import { TASK_METADATA, TASK_PARAM_TOKENS } from '../task-queue.constants.js';
import { recordTaskDefinition } from '../task-catalogue.js';
import type { TaskMetadata, TaskOptions } from '../interfaces/task-options.interface.js';

/** An entry Nest's `@Inject()` records for a method parameter: on the prototype, unnamed. */
interface DeclaredDependency {
  index: number;
  param: unknown;
}

// Entries already attributed to a task method; the list itself is shared by all methods.
const claimed = new WeakSet<DeclaredDependency>();

/**
 * Nest's `@Inject()` on a method parameter appends `{ index, param }` to a list on the prototype
 * without the method's name. Parameter decorators run just before their method's decorators,
 * so the entries not yet claimed when a task decorator runs are this method's own.
 */
function claimInjectedTokens(prototype: object, methodName: string | symbol): void {
  const declared = (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, prototype) ??
    []) as DeclaredDependency[];
  const own = declared.filter((entry) => !claimed.has(entry));
  own.forEach((entry) => claimed.add(entry));
  const tokens = new Map(own.map((entry) => [entry.index, entry.param]));
  Reflect.defineMetadata(TASK_PARAM_TOKENS, tokens, prototype, methodName);
}

/** @internal Stores task metadata on a method and records it in the catalogue. */
export function defineTask(meta: TaskMetadata): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const className = (target as { constructor: { name: string } }).constructor.name;
    Reflect.defineMetadata(TASK_METADATA, meta, descriptor.value as object);
    claimInjectedTokens(target, propertyKey);
    recordTaskDefinition(className, String(propertyKey), meta);
    return descriptor;
  };
}

/**
 * Marks a provider method as a background task, found at bootstrap: no registration needed.
 * The method receives `(ctx: TaskContext, payload, ...injected)`: every parameter after the
 * payload is resolved by Nest DI for each job, by its class or by `@Inject(TOKEN)`.
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
