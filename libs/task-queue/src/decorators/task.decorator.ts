import { SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import { TASK_METADATA, TASK_PARAM_TOKENS } from '../task-queue.constants.js';
import { recordTaskDefinition } from '../discovery/task-catalogue.js';
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
 * without the method's name (and, in a subclass, on top of the parent's list). TypeScript applies
 * a method's parameter decorators last parameter first, just before the method's own
 * decorators: this method's entries end the list, and read backwards their indices rise, each
 * below this method's parameter count. Walking back from the end, the first entry that breaks
 * that, or that a parent class or another task method has, belongs to a method declared
 * earlier, and so does everything before it.
 */
function claimInjectedTokens(prototype: object, methodName: string | symbol): void {
  const declared = (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, prototype) ??
    []) as DeclaredDependency[];
  const parameters = (
    (Reflect.getMetadata('design:paramtypes', prototype, methodName) ?? []) as unknown[]
  ).length;
  const inherited = new Set(
    (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, Object.getPrototypeOf(prototype) as object) ??
      []) as DeclaredDependency[],
  );
  const own: DeclaredDependency[] = [];
  for (let at = declared.length - 1; at >= 0; at -= 1) {
    const entry = declared[at];
    const floor = own.length === 0 ? -1 : own[own.length - 1].index;
    if (claimed.has(entry) || inherited.has(entry)) break;
    if (entry.index <= floor || entry.index >= parameters) break;
    own.push(entry);
  }
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
