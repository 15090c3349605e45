import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { TaskQueueModuleOptions } from '../interfaces/task-queue-options.interface.js';
import { TaskQueueConfigError } from '../errors/index.js';
import { JobStore } from '../producer/job-store.js';
import { EventWaiters } from '../producer/event-waiters.js';
import { resolveConfig, type TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { MODULE_OPTIONS_TOKEN } from '../task-queue.module-definition.js';
import { TASK_QUEUE_CORE_PROVIDERS, TASK_QUEUE_EXPORTS } from '../task-queue.module.js';
import { MemoryJobStore, TESTING_OPTIONS } from './memory.job-store.js';
import { staticQueueNames } from '../nest-bullmq/nest-bullmq.queue-providers.js';
import { noBullQueueProviders } from '../nest-bullmq/nest-bullmq.no-queue.js';
import { BackendHealth } from '../observability/backend-health.js';
import { ScheduleStore } from '../scheduling/task-schedule.store.js';
import { DashboardQueues } from '../dashboard/dashboard-queues.js';
import { TaskCls } from '../cls/task-cls.js';
import { JobContextSource } from '../producer/job-context.js';
import { RunContexts } from '../worker/run-contexts.js';
import { MemoryBackendHealth } from './memory.backend-health.js';
import type { TaskQueueTestingOptions } from './task-queue-testing.interfaces.js';
import { testingMessages } from './task-queue-testing.messages.js';
import { TaskQueueTester } from './task-queue.tester.js';

/** The dashboard shows nothing: the jobs are in memory, not in a backend it could read. */
const NO_DASHBOARD_QUEUES: DashboardQueues = {
  hasQueues: false,
  queue: (name) => {
    throw new TaskQueueConfigError(testingMessages.noBackend(`The dashboard's queue '${name}'`));
  },
};

/**
 * A drop-in for `TaskQueueModule` in a test: the same discovery, bootstrap checks and
 * `TaskQueues` (task, payload, schema, option and key checks at enqueue), with jobs kept in
 * memory and run in the test through {@link TaskQueueTester}. No connection, no backend, no
 * worker, no schedule.
 *
 * @example
 * ```ts
 * const moduleRef = await Test.createTestingModule({
 *   imports: [TaskQueueTestingModule.forRoot({ queues: ['default', 'emails'] }), UsersModule],
 * }).compile();
 * await moduleRef.init();
 * ```
 */
@Module({ imports: [DiscoveryModule] })
export class TaskQueueTestingModule {
  /**
   * The task queue module for tests: the same providers as `TaskQueueModule`, no backend.
   *
   * @param options `queues`: queue names (default `['default']`); `defaultQueue` and `cls` as
   *   `TaskQueueModule` takes them; `mode` `'manual'` (default: jobs run in `drain()`) or
   *   `'inline'` (each job runs before `enqueue` returns). With `ClsModule` in the test, each
   *   run gets a CLS context of its own, holding the keys of `cls.propagate` its job carries.
   */
  static forRoot(options: TaskQueueTestingOptions = {}): DynamicModule {
    return testingModule(
      options,
      [{ provide: MODULE_OPTIONS_TOKEN, useValue: {} }],
      staticQueueNames(options.queues, true),
    );
  }
}

/**
 * @internal The testing module, on top of the providers (and imports) that give the module
 * options: none for `forRoot`, the application's own for `overrideTaskQueueModule`. Each of
 * `queueNames` gets an `@InjectQueue()` token, whose value has no BullMQ queue behind it.
 */
export function testingModule(
  options: TaskQueueTestingOptions,
  optionProviders: Provider[],
  queueNames: readonly string[],
  imports: DynamicModule['imports'] = [],
): DynamicModule {
  const queueTokens = noBullQueueProviders(queueNames);
  const { queues, defaultQueue, cls } = options;
  const config: Provider = {
    provide: TASK_QUEUE_CONFIG,
    useFactory: (app: TaskQueueModuleOptions) =>
      resolveConfig({
        ...app,
        ...(queues === undefined ? {} : { queues }),
        ...(defaultQueue === undefined ? {} : { defaultQueue }),
        ...(cls === undefined ? {} : { cls }),
      }),
    inject: [MODULE_OPTIONS_TOKEN],
  };
  const shared = TASK_QUEUE_CORE_PROVIDERS.filter(
    (provider) => !('provide' in provider && provider.provide === TASK_QUEUE_CONFIG),
  );
  return {
    module: TaskQueueTestingModule,
    global: true,
    imports,
    providers: [
      ...optionProviders,
      config,
      ...shared,
      { provide: TESTING_OPTIONS, useValue: options },
      MemoryJobStore,
      { provide: JobStore, useExisting: MemoryJobStore },
      {
        provide: EventWaiters,
        useFactory: (store: MemoryJobStore) => store.waiters,
        inject: [MemoryJobStore],
      },
      {
        provide: BackendHealth,
        useFactory: ({ backend }: TaskQueueConfig) => new MemoryBackendHealth(backend.kind),
        inject: [TASK_QUEUE_CONFIG],
      },
      {
        provide: ScheduleStore,
        useFactory: (store: MemoryJobStore) => store.jobs.scheduleStore,
        inject: [MemoryJobStore],
      },
      { provide: DashboardQueues, useValue: NO_DASHBOARD_QUEUES },
      // nestjs-cls, as TaskQueueModule has it: a CLS context per run, and what jobs carry.
      TaskCls,
      { provide: JobContextSource, useExisting: TaskCls },
      { provide: RunContexts, useExisting: TaskCls },
      TaskQueueTester,
      ...queueTokens,
    ],
    exports: [
      ...TASK_QUEUE_EXPORTS,
      TaskQueueTester,
      ...queueTokens.map((provider) => (provider as { provide: string }).provide),
    ],
  };
}
