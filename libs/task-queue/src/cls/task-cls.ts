import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef, ModulesContainer } from '@nestjs/core';
import { InvalidPayloadError, TaskQueueConfigError } from '../errors/index.js';
import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import {
  JobContextSource,
  type CarriedContext,
  type EnqueueMethod,
} from '../producer/job-context.js';
import { plainDataProblem } from '../producer/task-payload.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { RunContexts } from '../worker/run-contexts.js';
import type { RunnableJob, RunProcessor } from '../worker/runnable-job.js';
import { clsMessages } from './cls.messages.js';
import {
  clsLoadedAlready,
  importsClsModule,
  loadCls,
  NO_CLS_MODULE,
  type LoadedCls,
} from './cls.loader.js';
import { loadTransactionJoin, type TransactionJoin } from './cls.transaction-join.js';

/**
 * @internal The module's side of nestjs-cls (an optional peer): found when the module starts,
 * it gives each run a CLS context of its own, as a request gets one, and carries the keys of
 * `cls.propagate` from the enqueuer's context into the run's. Without nestjs-cls in the
 * application it does nothing, unless the `cls` option asks for it, which fails the bootstrap.
 */
@Injectable()
export class TaskCls implements JobContextSource, RunContexts, OnModuleInit {
  private loaded?: LoadedCls;
  private join?: TransactionJoin;
  private readonly propagate: readonly string[];

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
  ) {
    this.propagate = config.cls.propagate;
  }

  async onModuleInit(): Promise<void> {
    const { transactions } = this.config.cls;
    // Not imported for an application that neither imports ClsModule nor asks for it: its
    // AsyncLocalStorage would cost every promise of the process (see importsClsModule); one
    // that imports it has loaded the package (clsLoadedAlready), whatever its modules' names.
    const wanted = this.propagate.length > 0 || transactions !== false;
    const found =
      wanted || importsClsModule(this.modules.values()) || clsLoadedAlready()
        ? await loadCls(this.moduleRef)
        : NO_CLS_MODULE;
    if (typeof found !== 'string') {
      this.loaded = found;
      if (transactions) this.join = await loadTransactionJoin(this.moduleRef, transactions);
      return;
    }
    if (this.propagate.length > 0) {
      throw new TaskQueueConfigError(clsMessages.clsMissing('propagate', found));
    }
    if (transactions) {
      throw new TaskQueueConfigError(clsMessages.clsMissing('transactions', found));
    }
  }

  capture(task: string): CarriedContext | undefined {
    const cls = this.loaded?.service;
    if (!cls || this.propagate.length === 0 || !cls.isActive()) return undefined;
    let carried: Record<string, unknown> | undefined;
    for (const key of this.propagate) {
      const value = cls.get(key);
      if (value === undefined) continue;
      const wrong = plainDataProblem(value, `cls.${key}`);
      if (wrong) {
        throw new InvalidPayloadError(clsMessages.notPlain(task, key, wrong.path, wrong.problem));
      }
      (carried ??= {})[key] = value;
    }
    return carried;
  }

  transaction(task: string, method: EnqueueMethod): TaskTransaction | undefined {
    return this.join?.transaction(task, method);
  }

  /**
   * Each run in a new CLS context, made as nestjs-cls's own `@UseCls()` makes one (its
   * plugins' hooks; its proxy providers with `cls.resolveProxyProviders`, which costs a timer
   * per run), never inside the worker's: its id is the job's, and it holds the keys of
   * `cls.propagate` that the job carries.
   */
  wrap(run: RunProcessor): RunProcessor {
    if (!this.loaded) return run;
    const { propagate } = this;
    const descriptor: PropertyDescriptor = { value: run, writable: true, configurable: true };
    this.loaded.api.UseCls<[RunnableJob]>({
      resolveProxyProviders: this.config.cls.resolveProxyProviders,
      runOptions: { ifNested: 'override' },
      generateId: true,
      idGenerator: (job) => job.id,
      setup: (cls, job) => {
        const carried = job.carriedContext;
        if (!carried) return;
        for (const key of propagate) {
          if (Object.hasOwn(carried, key)) cls.set(key, carried[key]);
        }
      },
    })(TaskCls.prototype, 'wrap', descriptor);
    return descriptor.value as RunProcessor;
  }
}
