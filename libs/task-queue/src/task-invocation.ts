import type { ContextId } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { OnTaskFailure, OnTaskSuccess } from './interfaces/task-hooks.interface.js';
import type { TaskContext } from './interfaces/task-context.interface.js';

/** @internal One job's view of a bound task: how to call it, then how to settle it. */
export interface TaskInvocation {
  call(ctx: TaskContext, payload: object): Promise<unknown>;
  /**
   * Runs the `onTaskSuccess` hooks of the job's per-job providers; the first hook's throw is
   * rethrown (it fails the job), and errors of the failure hooks that follow go to `report`.
   */
  succeed(result: unknown, report: (error: unknown) => void): Promise<void>;
  /** Runs the `onTaskFailure` hooks; what they throw goes to `report` (the job fails anyway). */
  fail(error: unknown, report: (error: unknown) => void): Promise<void>;
}

type Hooks = Partial<OnTaskSuccess & OnTaskFailure>;

const hasHook = (prototype: unknown): boolean =>
  typeof prototype === 'object' &&
  prototype !== null &&
  (typeof (prototype as Hooks).onTaskSuccess === 'function' ||
    typeof (prototype as Hooks).onTaskFailure === 'function');

/** @internal Per-job providers with hooks: the only ones worth looking at after a job. */
export function isHookProvider(wrapper: InstanceWrapper): boolean {
  const metatype = wrapper.metatype as { prototype?: unknown } | null;
  return !wrapper.isDependencyTreeStatic() && !wrapper.inject && hasHook(metatype?.prototype);
}

/**
 * @internal The hooks of the per-job providers the job actually created (a wrapper that was not
 * resolved in this context only has a placeholder, never constructed).
 */
export function jobHooks(wrappers: readonly InstanceWrapper[], contextId: ContextId): Hooks[] {
  const created: Hooks[] = [];
  for (const wrapper of wrappers) {
    const host = wrapper.getInstanceByContextId(contextId);
    if (host.isResolved && host.instance) created.push(host.instance as Hooks);
  }
  return created;
}

/** @internal Calls success hooks in turn; once one throws, the rest hear of that failure. */
export async function settleSuccess(
  hooks: Hooks[],
  result: unknown,
  report: (error: unknown) => void,
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
  report: (error: unknown) => void,
): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook.onTaskFailure?.(error);
    } catch (hookError) {
      report(hookError);
    }
  }
}

const settled: Pick<TaskInvocation, 'succeed' | 'fail'> = {
  succeed: () => Promise.resolve(),
  fail: () => Promise.resolve(),
};

/** @internal The invocation of a task whose instance and parameters are all singletons: one for all jobs. */
export function staticInvocation(
  instance: object,
  method: (...args: unknown[]) => unknown,
  args: readonly unknown[],
): TaskInvocation {
  return {
    call: async (ctx, payload) => method.call(instance, ctx, payload, ...args),
    ...settled,
  };
}
