import { Inject, Injectable, Scope, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { TaskDefinitionError, TaskQueueConfigError } from '../errors/index.js';
import type { TaskMetadata } from '../interfaces/task-options.interface.js';
import { adoptNestSchedule } from './nest-schedule.binding.js';
import { ProcessTimers } from './process-timers.js';
import { readNestSchedule, SCHEDULE_MODULE_OPTIONS } from './nest-schedule.metadata.js';
import { bindTask } from './task-binding.js';
import {
  TaskInvokers,
  type Parameter,
  type Target,
  type TaskMethod,
  type Token,
} from '../per-job/task-invokers.js';
import { TaskMetadataAccessor } from './task-metadata.accessor.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { discoveryMessages } from './discovery.messages.js';
import { TaskRegistry } from './task.registry.js';

/**
 * @internal Finds every decorated method of every provider in the module graph and binds
 * it to its DI instance in the {@link TaskRegistry}, through the {@link TaskInvokers} that say
 * how each job calls it. It discovers only; workers live in the worker host.
 */
@Injectable()
export class TaskQueueExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: TaskMetadataAccessor,
    private readonly registry: TaskRegistry,
    private readonly moduleRef: ModuleRef,
    private readonly timers: ProcessTimers,
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
  ) {}

  onModuleInit(): void {
    const providers = this.discovery.getProviders();
    // Both would run the same @Cron methods: ScheduleModule in every process, and this module.
    if (
      this.config.schedule === 'distributed' &&
      providers.some((wrapper) => wrapper.token === SCHEDULE_MODULE_OPTIONS)
    ) {
      throw new TaskQueueConfigError(discoveryMessages.scheduleModuleImported());
    }
    const invokers = new TaskInvokers(providers, this.moduleRef, this.config.perJobProviders);
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
        const meta = this.metadataOf(target, type.name, methodName, method as TaskMethod);
        if (!meta) continue;
        const parameters = this.parametersOf(type.name, target.prototype, methodName);
        const found = { type, className: type.name, methodName, meta };
        this.registry.add(
          bindTask(
            { ...found, invoke: invokers.invoker(target, method as TaskMethod, parameters) },
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
    if (meta) throw new TaskDefinitionError(discoveryMessages.taskAndNestSchedule(where));
    const adopted = adoptNestSchedule(className, methodName, nest);
    if (adopted.kind === 'task') return adopted.meta;
    // As ScheduleModule does, a one-off runs on the provider's one instance, if it has one.
    if (!target.static) {
      throw new TaskDefinitionError(discoveryMessages.nestTimerNotStatic(where));
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

  /**
   * Resolves each injected parameter's provider now, so a missing one fails bootstrap, as does
   * a parameter that another method's `@Inject()` may be meant for.
   */
  private parametersOf(className: string, prototype: object, methodName: string): Parameter[] {
    const where = `${className}.${methodName}`;
    const ambiguous = this.accessor.getAmbiguousParameters(prototype, methodName);
    if (ambiguous) {
      const owners = ambiguous.methods?.map((method) => `${className}.${method}`);
      throw new TaskDefinitionError(
        discoveryMessages.ambiguousInject(where, ambiguous.indices, owners),
      );
    }
    return this.accessor.getInjectedTokens(prototype, methodName).map((token, offset) => {
      const index = offset + 2;
      if (token === undefined || token === Object) {
        throw new TaskDefinitionError(discoveryMessages.untypedParameter(where, index));
      }
      let scope: Scope | undefined;
      try {
        scope = this.moduleRef.introspect(token as Token).scope;
      } catch {
        throw new TaskDefinitionError(discoveryMessages.unresolvableParameter(where, index, token));
      }
      return scope === Scope.DEFAULT
        ? { perJob: false, value: this.moduleRef.get(token as Token, { strict: false }) }
        : { perJob: true, token: token as Token };
    });
  }
}
