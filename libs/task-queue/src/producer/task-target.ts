import type { BoundTask } from '../discovery/task.registry.js';
import { UnknownTaskError } from '../errors/index.js';
import type { TaskClass } from '../interfaces/typed-task.interface.js';
import { producerMessages } from './producer.messages.js';

/** @internal What naming a task by provider class and method needs to know. */
export interface TaskByMethod {
  /** The task a provider class's method declares, if bound in this application. */
  byMethod(type: object, methodName: string): Pick<BoundTask, 'definition'> | undefined;
}

/**
 * @internal The task name and the rest of the arguments of a {@link TaskQueue} call on `queue`,
 * from either calling form: `(name, ...rest)` or, typed, `(type, method, ...rest)`.
 */
export function resolveTask(
  lookup: TaskByMethod,
  queue: string,
  target: string | TaskClass<unknown>,
  args: unknown[],
): [string, ...unknown[]] {
  if (typeof target === 'string') return [target, ...args];
  const [method, ...rest] = args as [string, ...unknown[]];
  const task = lookup.byMethod(target, method);
  if (!task || task.definition.queue !== queue) {
    throw new UnknownTaskError(
      producerMessages.unknownTaskMethod(`${target.name}.${method}`, queue, task?.definition.queue),
    );
  }
  return [task.definition.name, ...rest];
}
