import type { ContextId } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { OnTaskFailure, OnTaskSuccess } from './interfaces/task-hooks.interface.js';
import type { TaskContext } from './interfaces/task-context.interface.js';

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
