import type { ContextId } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { OnTaskFailure, OnTaskSuccess } from '../interfaces/task-hooks.interface.js';
import type { TaskContext } from '../interfaces/task-context.interface.js';

/** @internal One job's view of a bound task: how to call it, then how to settle it. */
export interface TaskInvocation {
  /** Calls the method: what it returns (a promise, or a value if it is not `async`), or throws. */
  readonly call: (ctx: TaskContext, payload: object) => unknown;
  /** False when there can be no hooks to run: `succeed` and `fail` need not be called. */
  readonly hooked: boolean;
  /**
   * Runs the `onTaskSuccess` hooks of the job's per-job providers; the first hook's throw is
   * rethrown (it fails the job), and errors of the failure hooks that follow go to `report`.
   */
  succeed(result: unknown, report: HookReporter): Promise<void>;
  /** Runs the `onTaskFailure` hooks; what they throw goes to `report` (the job fails anyway). */
  fail(error: unknown, report: HookReporter): Promise<void>;
}

/** @internal Told about a hook that threw once the job's outcome was already decided. */
export interface HookReporter {
  hookFailed(error: unknown): void;
}

/** @internal What a per-job provider may implement. */
export type Hooks = Partial<OnTaskSuccess & OnTaskFailure>;

/** @internal Whether an instance (or a prototype) has a success or failure hook. */
export const hasHook = (target: unknown): target is Hooks =>
  typeof target === 'object' &&
  target !== null &&
  (typeof (target as Hooks).onTaskSuccess === 'function' ||
    typeof (target as Hooks).onTaskFailure === 'function');

/**
 * @internal Per-job providers that may have hooks: the only ones worth looking at after a job.
 * A class says so by its prototype; what a factory makes is known only once it is made.
 */
export function isHookProvider(wrapper: InstanceWrapper): boolean {
  if (wrapper.isDependencyTreeStatic()) return false;
  const metatype = wrapper.metatype as { prototype?: unknown } | null;
  return Boolean(wrapper.inject) || hasHook(metatype?.prototype);
}

/**
 * @internal Per-job providers ordered so that each comes before the providers it depends on
 * (directly or not): hooks then run dependents first, as `JobScope.hooks()` does, so an outbox
 * that writes through the job's session flushes before the session commits.
 */
export function dependentsFirst(wrappers: readonly InstanceWrapper[]): InstanceWrapper[] {
  const dependenciesFirst: InstanceWrapper[] = [];
  const visited = new Set<InstanceWrapper>();
  const visit = (wrapper: InstanceWrapper) => {
    if (visited.has(wrapper)) return;
    visited.add(wrapper);
    const properties = wrapper.getPropertiesMetadata() ?? [];
    for (const dependency of [
      ...(wrapper.getCtorMetadata() ?? []),
      ...properties.map((property) => property.wrapper),
    ]) {
      if (dependency) visit(dependency);
    }
    dependenciesFirst.push(wrapper);
  };
  wrappers.forEach(visit);
  const wanted = new Set(wrappers);
  return dependenciesFirst.filter((wrapper) => wanted.has(wrapper)).reverse();
}

/**
 * @internal The hooks of the per-job providers the job actually created (a wrapper that was not
 * resolved in this context only has a placeholder, never constructed), in the given order.
 */
export function jobHooks(wrappers: readonly InstanceWrapper[], contextId: ContextId): Hooks[] {
  const created: Hooks[] = [];
  for (const wrapper of wrappers) {
    const host = wrapper.getInstanceByContextId(contextId);
    if (host.isResolved && hasHook(host.instance)) created.push(host.instance);
  }
  return created;
}

/** @internal Calls success hooks in turn; once one throws, the rest hear of that failure. */
export async function settleSuccess(
  hooks: Hooks[],
  result: unknown,
  report: HookReporter,
): Promise<void> {
  for (const [index, hook] of hooks.entries()) {
    try {
      await hook.onTaskSuccess?.(result);
    } catch (error) {
      await settleFailure(hooks.slice(index + 1), error, report);
      throw error;
    }
  }
}

/** @internal Calls every failure hook, even after one throws. */
export async function settleFailure(
  hooks: Hooks[],
  error: unknown,
  report: HookReporter,
): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook.onTaskFailure?.(error);
    } catch (hookError) {
      report.hookFailed(hookError);
    }
  }
}

const settled: Pick<TaskInvocation, 'hooked' | 'succeed' | 'fail'> = {
  hooked: false,
  succeed: () => Promise.resolve(),
  fail: () => Promise.resolve(),
};

/** @internal The invocation of a task whose instance and parameters are all singletons: one for all jobs. */
export function staticInvocation(
  instance: object,
  method: (...args: unknown[]) => unknown,
  args: readonly unknown[],
): TaskInvocation {
  const call: TaskInvocation['call'] =
    args.length === 0
      ? (ctx, payload) => method.call(instance, ctx, payload)
      : (ctx, payload) => method.call(instance, ctx, payload, ...args);
  return { call, ...settled };
}
