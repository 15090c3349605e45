import { ContextIdFactory, type ModuleRef } from '@nestjs/core';
import { Injector } from '@nestjs/core/injector/injector.js';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { BoundTask } from '../discovery/task.registry.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { compileJobFactory, JobScope, type JobFactory } from './task-job-scope.js';
import {
  dependentsFirst,
  isHookProvider,
  jobHooks,
  settleFailure,
  settleSuccess,
  staticInvocation,
  type TaskInvocation,
} from './task-invocation.js';

/** @internal A task method as the explorer found it. */
export type TaskMethod = (this: object, ...args: unknown[]) => unknown;
/** @internal A provider token, as `ModuleRef` takes it. */
export type Token = Parameters<ModuleRef['introspect']>[0];

/** @internal Where a provider's task methods are, and whether one instance serves every job. */
export interface Target {
  wrapper: InstanceWrapper;
  prototype: object;
  /** The shared instance, or the wrapper of a provider made afresh per job. */
  key: object;
  static: boolean;
}

/** @internal A parameter after `(ctx, payload)`: resolved once at bootstrap, or for each job. */
export type Parameter = { token: Token; perJob: true } | { value: unknown; perJob: false };

/**
 * @internal How each job calls a task method. With a shared instance and singleton parameters,
 * one invocation serves every job; otherwise each job gets a DI context of its own, with the job
 * standing in for the request, and the hooks of the per-job providers it created: made by
 * factories compiled at bootstrap where the providers allow it, else by Nest's injector.
 */
export class TaskInvokers {
  private readonly injector = new Injector();
  /** Per-job providers with success/failure hooks, looked at after each per-job task run. */
  private readonly hookProviders: InstanceWrapper[];
  /** Every provider, by token, for the per-job factories. */
  private readonly providersByToken = new Map<unknown, InstanceWrapper[]>();

  constructor(
    providers: readonly InstanceWrapper[],
    private readonly moduleRef: ModuleRef,
    private readonly perJobProviders: TaskQueueConfig['perJobProviders'],
  ) {
    this.hookProviders = dependentsFirst(providers.filter(isHookProvider));
    for (const wrapper of providers) {
      const same = this.providersByToken.get(wrapper.token);
      if (same) same.push(wrapper);
      else this.providersByToken.set(wrapper.token, [wrapper]);
    }
  }

  /** The invoker of `method` of `target`, called with `parameters` after `(ctx, payload)`. */
  invoker(target: Target, method: TaskMethod, parameters: Parameter[]): BoundTask['invoke'] {
    if (target.static && parameters.every((parameter) => !parameter.perJob)) {
      const args = parameters.map((parameter) => (parameter.perJob ? undefined : parameter.value));
      const invocation = staticInvocation(target.key, method, args);
      return () => invocation;
    }
    const compiled =
      this.perJobProviders === 'injector'
        ? undefined
        : this.compiledInvoker(target, method, parameters);
    return compiled ?? this.injectorInvoker(target, method, parameters);
  }

  /** Per-job instances made by factories compiled now: no injector work per job. */
  private compiledInvoker(
    target: Target,
    method: TaskMethod,
    parameters: Parameter[],
  ): BoundTask['invoke'] | undefined {
    const targetFactory = target.static ? undefined : compileJobFactory(target.wrapper);
    if (!target.static && !targetFactory) return undefined;
    const factories: JobFactory[] = [];
    for (const parameter of parameters) {
      const factory = parameter.perJob ? this.factoryFor(parameter.token) : () => parameter.value;
      if (!factory) return undefined;
      factories.push(factory);
    }
    return (job): TaskInvocation => {
      const scope = new JobScope(job);
      const instance = (targetFactory ? targetFactory(scope) : target.key) as object;
      const args = factories.map((factory) => factory(scope));
      return {
        call: (ctx, payload) => method.call(instance, ctx, payload, ...args),
        hooked: true,
        succeed: (result, report) => settleSuccess(scope.hooks(), result, report),
        fail: (error, report) => settleFailure(scope.hooks(), error, report),
      };
    };
  }

  /** A compiled factory for the one provider of `token`, if there is one and it allows it. */
  private factoryFor(token: Token): JobFactory | undefined {
    const wrappers = this.providersByToken.get(token);
    return wrappers?.length === 1 ? compileJobFactory(wrappers[0]) : undefined;
  }

  /** Per-job instances made by Nest's injector, in a context of the job's own. */
  private injectorInvoker(
    target: Target,
    method: TaskMethod,
    parameters: Parameter[],
  ): BoundTask['invoke'] {
    const host = target.wrapper.host!;
    return async (job): Promise<TaskInvocation> => {
      const contextId = ContextIdFactory.create();
      this.moduleRef.registerRequestByContextId(job, contextId);
      const instance: object = target.static
        ? target.key
        : await this.injector.loadPerContext(
            target.wrapper.instance as object,
            host,
            host.providers,
            contextId,
          );
      const args = await Promise.all(
        parameters.map((parameter) =>
          parameter.perJob
            ? this.moduleRef.resolve(parameter.token, contextId, { strict: false })
            : Promise.resolve(parameter.value),
        ),
      );
      return {
        call: (ctx, payload) => method.call(instance, ctx, payload, ...args),
        hooked: this.hookProviders.length > 0,
        succeed: (result, report) =>
          settleSuccess(jobHooks(this.hookProviders, contextId), result, report),
        fail: (error, report) =>
          settleFailure(jobHooks(this.hookProviders, contextId), error, report),
      };
    };
  }
}
