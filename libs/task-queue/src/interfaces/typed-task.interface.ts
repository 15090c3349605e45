import type { TaskContext } from './task-context.interface.js';

/**
 * A provider class, as the typed forms of `enqueue`, `apply`, `map` and the tester take it.
 *
 * @inline
 */
export type TaskClass<T> = abstract new (...args: never[]) => T;

/**
 * Any task method: `(ctx, payload, ...injected)`.
 *
 * @inline
 */
type TaskMethod = (ctx: TaskContext, payload: never, ...injected: never[]) => unknown;

/** Names of the methods of `T` shaped like tasks, for the typed `enqueue(Class, 'method', payload)`. */
export type TaskMethodName<T> = {
  [K in keyof T]: T[K] extends TaskMethod ? K : never;
}[keyof T] &
  string;

/**
 * The payload type a task method declares (its second parameter): for method `K` of provider
 * `T`, e.g. `TaskPayload<UsersTasks, 'sendWelcomeEmail'>`. The typed `enqueue(Class, 'method',
 * payload)` and the tester's assertions check their payload against it.
 */
export type TaskPayload<T, K extends keyof T> = T[K] extends (
  ctx: TaskContext,
  payload: infer P,
  ...injected: never[]
) => unknown
  ? P
  : never;

/**
 * What a task method resolves (its return type, awaited): for method `K` of provider `T`, e.g.
 * `TaskResult<UsersTasks, 'sendWelcomeEmail'>`. The typed `apply(Class, 'method', payload)` and
 * `map` resolve it.
 */
export type TaskResult<T, K extends keyof T> = T[K] extends (...args: never[]) => infer R
  ? Awaited<R>
  : never;

/** Payload and options arguments: the payload may be left out when the task takes none. */
export type TaskArgs<P, O> = undefined extends P
  ? [payload?: P, options?: O]
  : [payload: P, options?: O];

// The types below shape the parameters of the calls that take either form (`enqueue`, `apply`,
// `map`, the tester's assertions); they are not exported from the package's entry point.

/**
 * What a call names its task by: a task name, or a provider class.
 *
 * @inline
 */
export type TaskTarget = string | TaskClass<object>;

/** The instance type of provider class `C`. */
type InstanceOf<C> = C extends TaskClass<infer T> ? T : never;

/** The payload type of method `M` of provider class `C`. */
export type PayloadOf<C, M> = M extends keyof InstanceOf<C> ? TaskPayload<InstanceOf<C>, M> : never;

/** What method `M` of provider class `C` resolves. */
export type ResultOf<C, M> = M extends keyof InstanceOf<C> ? TaskResult<InstanceOf<C>, M> : never;

/**
 * The names a typed call's method may take: the task methods of `T`, spelled out (so that an
 * error lists them), or, when `T` has none, a sentence saying so.
 */
type MethodOf<T> = [TaskMethodName<T>] extends [never]
  ? 'a task method: this class has no method taking (ctx: TaskContext, payload)'
  : { [K in TaskMethodName<T>]: K }[TaskMethodName<T>];

/**
 * What the arguments after a call's target must be: by task name, `ByName`; by provider class,
 * one of its task methods, then `ByMethod` (made of that method's payload type).
 */
export type ExpectedArgs<Target, Method, ByName extends unknown[], ByMethod extends unknown[]> = [
  Target,
] extends [string]
  ? ByName
  : Method extends TaskMethodName<InstanceOf<Target>>
    ? [method: Method, ...ByMethod]
    : [method: MethodOf<InstanceOf<Target>>, ...unknown[]];

/**
 * The arguments after a call's target: always `Expected`, worked out from the arguments given
 * (`Args`, a `const` type parameter, read for the method's name only).
 *
 * One signature takes both forms so that a typed call's error is about its method or its
 * payload: with an overload per form, the first line of TypeScript's error is "No overload
 * matches this call", and the one after it the name form's complaint that the class is not a
 * string. `Args` stays in the (always true) condition because TypeScript infers literal types
 * for arguments only where their parameter's type involves a `const` type parameter, and the
 * method's name must be inferred as its literal.
 */
export type Checked<Args extends readonly unknown[], Expected extends unknown[]> = [Args] extends [
  unknown,
]
  ? Expected
  : Args;

/**
 * The arguments after the target of `enqueue` and `apply`: `(payload?, options?)` by task name,
 * `(method, payload, options?)` by provider class (the payload optional when its type allows
 * `undefined`).
 */
export type PayloadArgs<Target, Args extends readonly unknown[], Options> = Checked<
  Args,
  ExpectedArgs<
    Target,
    Args[0],
    [payload?: object, options?: Options],
    TaskArgs<PayloadOf<Target, Args[0]>, Options>
  >
>;

/**
 * The arguments after the target of `map`: `(payloads, options?)` by task name,
 * `(method, payloads, options?)` by provider class.
 */
export type PayloadsArgs<Target, Args extends readonly unknown[], Options> = Checked<
  Args,
  ExpectedArgs<
    Target,
    Args[0],
    [payloads: readonly object[], options?: Options],
    [payloads: readonly PayloadOf<Target, Args[0]>[], options?: Options]
  >
>;
