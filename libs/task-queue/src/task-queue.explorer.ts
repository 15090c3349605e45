import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ContextIdFactory, DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { Injector } from '@nestjs/core/injector/injector.js';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { bindTask, type DiscoveredTask } from './task-binding.js';
import { TaskMetadataAccessor } from './task-metadata.accessor.js';
import type { TaskQueueConfig } from './task-queue.config.js';
import { TASK_QUEUE_CONFIG } from './task-queue.constants.js';
import { TaskRegistry, type BoundTask } from './task.registry.js';

type TaskMethod = (this: object, ...args: unknown[]) => unknown;

/**
 * @internal Finds every decorated method of every provider in the module graph and binds
 * it to its DI instance in the {@link TaskRegistry}. It discovers only; workers live in the
 * worker host.
 */
@Injectable()
export class TaskQueueExplorer implements OnModuleInit {
  private readonly injector = new Injector();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: TaskMetadataAccessor,
    private readonly registry: TaskRegistry,
    private readonly moduleRef: ModuleRef,
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
  ) {}

  onModuleInit(): void {
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      // An alias (useExisting) reaches an instance that is discovered under its own token.
      if (wrapper.isAlias) continue;
      const target = this.targetOf(wrapper);
      if (!target || seen.has(target.key)) continue;
      seen.add(target.key);
      for (const methodName of this.scanner.getAllMethodNames(target.prototype)) {
        const method = (target.prototype as Record<string, unknown>)[methodName];
        const meta = this.accessor.getTaskMetadata(method);
        if (!meta) continue;
        const type = target.prototype.constructor as object & { name: string };
        const found: DiscoveredTask = {
          type,
          className: type.name,
          methodName,
          meta,
          parameterCount: this.accessor.getParameterCount(target.prototype, methodName),
          run: target.static
            ? this.staticRunner(target.key, method as TaskMethod)
            : this.perJobRunner(wrapper, methodName),
        };
        this.registry.add(bindTask(found, this.config));
      }
    }
  }

  /**
   * The prototype to scan, and what identifies the provider's instance. A provider whose
   * dependency tree is not static has no shared instance: its class is scanned and an
   * instance is made per job. One made by a factory has no class to scan until it exists;
   * its methods are found only when it is a singleton.
   */
  private targetOf(
    wrapper: InstanceWrapper,
  ): { prototype: object; key: object; static: boolean } | undefined {
    if (wrapper.isDependencyTreeStatic()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') return undefined;
      return { prototype: Object.getPrototypeOf(instance) as object, key: instance, static: true };
    }
    const metatype = wrapper.metatype;
    if (wrapper.inject || typeof metatype !== 'function' || !metatype.prototype) return undefined;
    return { prototype: metatype.prototype as object, key: wrapper, static: false };
  }

  private staticRunner(instance: object, method: TaskMethod): BoundTask['run'] {
    return async (ctx, payload) => method.call(instance, ctx, payload);
  }

  /** A fresh instance per job, as Nest does per request; the job stands in for the request. */
  private perJobRunner(wrapper: InstanceWrapper, methodName: string): BoundTask['run'] {
    const host = wrapper.host!;
    return async (ctx, payload, job) => {
      const contextId = ContextIdFactory.create();
      this.moduleRef.registerRequestByContextId(job, contextId);
      const instance = await this.injector.loadPerContext(
        wrapper.instance as object,
        host,
        host.providers,
        contextId,
      );
      return (instance as Record<string, TaskMethod>)[methodName].call(instance, ctx, payload);
    };
  }
}
