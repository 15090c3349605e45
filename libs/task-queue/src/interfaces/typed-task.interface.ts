import type { TaskContext } from './task-context.interface.js';

/** Any task method: `(ctx, payload, ...injected)`. */
type TaskMethod = (ctx: TaskContext, payload: never, ...injected: never[]) => unknown;

/** Names of the methods of `T` shaped like tasks, for the typed `enqueue(Class, 'method', payload)`. */
export type TaskMethodName<T> = {
  [K in keyof T]: T[K] extends TaskMethod ? K : never;
}[keyof T] &
  string;

/** The payload type a task method declares (its second parameter). */
export type TaskPayload<T, K extends keyof T> = T[K] extends (
  ctx: TaskContext,
  payload: infer P,
  ...injected: never[]
) => unknown
  ? P
  : never;

/** What a task method resolves. */
export type TaskResult<T, K extends keyof T> = T[K] extends (...args: never[]) => infer R
  ? Awaited<R>
  : never;

/** Payload and options arguments: the payload may be left out when the task takes none. */
export type TaskArgs<P, O> = undefined extends P
  ? [payload?: P, options?: O]
  : [payload: P, options?: O];
