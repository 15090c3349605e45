import { Inject, Injectable, Scope, type OnModuleInit } from '@nestjs/common';
import { ContextIdFactory, DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { Injector } from '@nestjs/core/injector/injector.js';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { TaskDefinitionError, TaskQueueConfigError } from '../errors/index.js';
import type { TaskMetadata } from '../interfaces/task-options.interface.js';
import { LocalTimers } from '../scheduling/local-timers.service.js';
import { adoptNestSchedule } from './nest-schedule.binding.js';
import { readNestSchedule, SCHEDULE_MODULE_OPTIONS } from './nest-schedule.metadata.js';
import { bindTask } from './task-binding.js';
import { compileJobFactory, JobScope, type JobFactory } from '../per-job/task-job-scope.js';
import {
  dependentsFirst,
  isHookProvider,
  jobHooks,
  settleFailure,
  settleSuccess,
  staticInvocation,
  type TaskInvocation,
} from '../per-job/task-invocation.js';
import { TaskMetadataAccessor } from './task-metadata.accessor.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { messages } from '../task-queue.messages.js';
import { TaskRegistry, type BoundTask } from './task.registry.js';

type TaskMethod = (this: object, ...args: unknown[]) => unknown;
type Token = Parameters<ModuleRef['introspect']>[0];

/** Where a provider's task methods are, and whether one instance serves every job. */
interface Target {
  wrapper: InstanceWrapper;
  prototype: object;
  /** The shared instance, or the wrapper of a provider made afresh per job. */
  key: object;
  static: boolean;
}

/** A parameter after `(ctx, payload)`: resolved once at bootstrap, or for each job. */
type Parameter = { token: Token; perJob: true } | { value: unknown; perJob: false };

/**
 * @internal Finds every decorated method of every provider in the module graph and binds
 * it to its DI instance in the {@link TaskRegistry}. It discovers only; workers live in the
 * worker host.
 */
@Injectable()
export class TaskQueueExplorer implements OnModuleInit {
  private readonly injector = new Injector();
  /** Per-job providers with success/failure hooks, looked at after each per-job task run. */
  private hookProviders: InstanceWrapper[] = [];
  /** Every provider, by token, for the per-job factories. */
  private providersByToken = new Map<unknown, InstanceWrapper[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: TaskMetadataAccessor,
    private readonly registry: TaskRegistry,
    private readonly moduleRef: ModuleRef,
    private readonly timers: LocalTimers,
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
  ) {}

  onModuleInit(): void {
    const providers = this.discovery.getProviders();
    // Both would run the same @Cron methods: ScheduleModule in every process, and this module.
    if (
      this.config.schedule === 'distributed' &&
      providers.some((wrapper) => wrapper.token === SCHEDULE_MODULE_OPTIONS)
    ) {
      throw new TaskQueueConfigError(messages.scheduleModuleImported());
    }
    this.hookProviders = dependentsFirst(providers.filter(isHookProvider));
    for (const wrapper of providers) {
      const same = this.providersByToken.get(wrapper.token);
      if (same) same.push(wrapper);
      else this.providersByToken.set(wrapper.token, [wrapper]);
    }
    const seen = new Set<object>();
    for (const wrapper of providers) {
      // An alias (useExisting) reaches an instance that is discovered under its own token.
      if (wrapper.isAlias) continue;
      const target = this.targetOf(wrapper);
      if (!target || seen.has(target.key)) continue;
      seen.add(target.key);
      for (const methodName of this.scanner.getAllMethodNames(target.prototype)) {
        const method = (target.prototype as Record<string, unknown>)[methodName];
        const type = target.prototype.constructor as object & { name: string };
        const where = `${type.name}.${methodName}`;
        const meta = this.metadataOf(target, type.name, methodName, method as TaskMethod);
        if (!meta) continue;
        const parameters = this.parametersOf(where, target.prototype, methodName);
        const found = { type, className: type.name, methodName, meta };
        this.registry.add(
          bindTask(
            { ...found, invoke: this.invoker(target, method as TaskMethod, parameters) },
            this.config,
          ),
        );
      }
    }
  }

  /**
   * What a method declares as a task: its task decorator's metadata, or with
   * `schedule: 'distributed'` what its @nestjs/schedule decorator makes of it. A one-off
   * (`@Timeout`, `@Cron(date)`) is no task: it is handed to the per-process timers.
   */
  private metadataOf(
    target: Target,
    className: string,
    methodName: string,
    method: TaskMethod,
  ): TaskMetadata | undefined {
    const meta = this.accessor.getTaskMetadata(method);
    const nest = this.config.schedule === 'distributed' ? readNestSchedule(method) : undefined;
    if (!nest) return meta;
    const where = `${className}.${methodName}`;
    if (meta) throw new TaskDefinitionError(messages.taskAndNestSchedule(where));
    const adopted = adoptNestSchedule(className, methodName, nest);
    if (adopted.kind === 'task') return adopted.meta;
    // As ScheduleModule does, a one-off runs on the provider's one instance, if it has one.
    if (!target.static) {
      throw new TaskDefinitionError(messages.nestTimerNotStatic(where));
    }
    const when = 'at' in adopted ? { at: adopted.at } : { afterMs: adopted.afterMs };
    this.timers.add({ where, when, run: () => method.call(target.key) });
    return undefined;
  }

  /**
   * The prototype to scan, and what identifies the provider's instance. A provider whose
   * dependency tree is not static has no shared instance: its class is scanned and an
   * instance is made per job. One made by a factory has no class to scan until it exists;
   * its methods are found only when it is a singleton.
   */
  private targetOf(wrapper: InstanceWrapper): Target | undefined {
    if (wrapper.isDependencyTreeStatic()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') return undefined;
      const prototype = Object.getPrototypeOf(instance) as object;
      return { wrapper, prototype, key: instance, static: true };
    }
    const metatype = wrapper.metatype;
    if (wrapper.inject || typeof metatype !== 'function' || !metatype.prototype) return undefined;
    return { wrapper, prototype: metatype.prototype as object, key: wrapper, static: false };
  }

  /** Resolves each injected parameter's provider now, so a missing one fails bootstrap. */
  private parametersOf(where: string, prototype: object, methodName: string): Parameter[] {
    return this.accessor.getInjectedTokens(prototype, methodName).map((token, offset) => {
      const index = offset + 2;
      if (token === undefined || token === Object) {
        throw new TaskDefinitionError(messages.untypedParameter(where, index));
      }
      let scope: Scope | undefined;
      try {
        scope = this.moduleRef.introspect(token as Token).scope;
      } catch {
        throw new TaskDefinitionError(messages.unresolvableParameter(where, index, token));
      }
      return scope === Scope.DEFAULT
        ? { perJob: false, value: this.moduleRef.get(token as Token, { strict: false }) }
        : { perJob: true, token: token as Token };
    });
  }

  /**
   * How each job calls the method. With a shared instance and singleton parameters, one
   * invocation serves every job; otherwise each job gets a DI context of its own, with the job
   * standing in for the request, and the hooks of the per-job providers it created: made by
   * factories compiled at bootstrap where the providers allow it, else by Nest's injector.
   */
  private invoker(
    target: Target,
    method: TaskMethod,
    parameters: Parameter[],
  ): BoundTask['invoke'] {
    if (target.static && parameters.every((parameter) => !parameter.perJob)) {
      const args = parameters.map((parameter) => (parameter.perJob ? undefined : parameter.value));
      const invocation = staticInvocation(target.key, method, args);
      return () => invocation;
    }
    const compiled =
      this.config.perJobProviders === 'injector'
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
