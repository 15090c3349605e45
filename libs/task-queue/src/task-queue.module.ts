import { Module, Scope, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule, REQUEST } from '@nestjs/core';
import { TaskMetadataAccessor } from './discovery/task-metadata.accessor.js';
import { resolveConfig, type TaskQueueConfig } from './task-queue.config.js';
import {
  JOB_METRICS,
  TASK_JOB,
  TASK_QUEUE_CONFIG,
  WORKER_OVERRIDE,
} from './task-queue.constants.js';
import { TaskQueueExplorer } from './discovery/task-queue.explorer.js';
import { ProcessTimers } from './discovery/process-timers.js';
import { TaskQueueHealth } from './observability/task-queue.health.js';
import { TaskQueueHealthIndicator } from './observability/task-queue.health-indicator.js';
import { TaskQueueMetrics } from './observability/task-queue.metrics.js';
import { loadJobMetrics } from './observability/job-metrics.js';
import { loadTracing, TaskTracing } from './observability/task-queue.tracing.js';
import { TaskQueueMigrator } from './backends/task-queue.migrator.js';
import { TaskQueueRedisPolicy } from './backends/redis/redis.policy.js';
import { BackendFailFast } from './backends/backend-fail-fast.js';
import { createBackend } from './backends/create-backend.js';
import { QueueBackend } from './backends/queue-backend.js';
import { BullJobStore } from './backends/bullmq.job-store.js';
import { BullEventWaiters } from './backends/bullmq.event-waiters.js';
import { EventWaiters } from './producer/event-waiters.js';
import { createOutbox, TaskQueueOutbox } from './backends/outbox/outbox.host.js';
import { JobStore } from './producer/job-store.js';
import {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
  withStaticQueues,
  type TaskQueueModuleAsyncOptions,
} from './task-queue.module-definition.js';
import type { TaskQueueModuleOptions } from './interfaces/task-queue-options.interface.js';
import { NestBullQueueCheck } from './nest-bullmq/nest-bullmq.queue-check.js';
import {
  queueTokenProviders,
  staticQueueNames,
} from './nest-bullmq/nest-bullmq.queue-providers.js';
import { NEST_BULL_SHARED_CONFIG_TOKEN } from './nest-bullmq/nest-bullmq.tokens.js';
import { TaskQueues } from './producer/task-queues.service.js';
import { LocalTimers } from './scheduling/local-timers.service.js';
import { ProcessClock, SystemClock } from './scheduling/process-clock.js';
import { ScheduleRecovery } from './scheduling/schedule-recovery.service.js';
import { TaskScheduler } from './scheduling/task-scheduler.service.js';
import { TaskWorkerHost } from './worker/task-worker.host.js';
import { RunContexts } from './worker/run-contexts.js';
import { TaskCls } from './cls/task-cls.js';
import { JobContextSource } from './producer/job-context.js';
import { RunControl } from './worker/run-control.js';
import { BullRunControl } from './backends/bullmq.worker.js';
import { TaskRegistry } from './discovery/task.registry.js';
import { BackendHealth } from './observability/backend-health.js';
import { ScheduleStore } from './scheduling/task-schedule.store.js';
import { ScheduledTasks } from './scheduling/scheduled-tasks.js';
import { DashboardQueues } from './dashboard/dashboard-queues.js';
import { BullScheduleStore } from './backends/bullmq.schedules.js';

/**
 * @internal What the module and the testing module share: the configuration, discovery and the
 * services an application injects. Each adds where jobs live and what runs them.
 */
export const TASK_QUEUE_CORE_PROVIDERS: Provider[] = [
  {
    provide: TASK_QUEUE_CONFIG,
    useFactory: resolveConfig,
    // BullModule.forRoot()'s shared configuration, when @nestjs/bullmq is in the application;
    // runWorker's settings, when it boots the application.
    inject: [
      MODULE_OPTIONS_TOKEN,
      { token: NEST_BULL_SHARED_CONFIG_TOKEN, optional: true },
      { token: WORKER_OVERRIDE, optional: true },
    ],
  },
  // Per job, the job takes the place of the request in Nest's request scope.
  {
    provide: TASK_JOB,
    scope: Scope.REQUEST,
    useFactory: (job: unknown) => job,
    inject: [REQUEST],
  },
  TaskMetadataAccessor,
  TaskRegistry,
  TaskQueueExplorer,
  { provide: ProcessClock, useClass: SystemClock },
  LocalTimers,
  { provide: ProcessTimers, useExisting: LocalTimers },
  TaskQueues,
  TaskQueueHealth,
  TaskQueueHealthIndicator,
  // prom-client is an optional peer: loaded here, not imported by the package's entry.
  { provide: JOB_METRICS, useFactory: loadJobMetrics, inject: [TASK_QUEUE_CONFIG] },
  TaskQueueMetrics,
  TaskQueueMigrator,
];

/** @internal What both modules export. */
export const TASK_QUEUE_EXPORTS = [
  TaskQueues,
  TaskRegistry,
  TaskQueueHealth,
  TaskQueueHealthIndicator,
  TaskQueueMetrics,
  TaskQueueMigrator,
  TASK_JOB,
  BackendHealth,
  DashboardQueues,
];

/**
 * Background tasks on BullMQ. Import it once, in the root module: every `@Task()` and
 * `@ScheduledTask()` method of every provider in the application is found at bootstrap.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     TaskQueueModule.forRoot({ connection: 'redis://127.0.0.1:6379', queues: ['default', 'emails'] }),
 *     UsersModule,
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    ...TASK_QUEUE_CORE_PROVIDERS,
    // The one owner of the connections and BullMQ objects; nothing connects until first use.
    { provide: QueueBackend, useFactory: createBackend, inject: [TASK_QUEUE_CONFIG] },
    BackendFailFast,
    // OpenTelemetry spans when the application has @opentelemetry/api (an optional peer).
    { provide: TaskTracing, useFactory: () => loadTracing() },
    // Redis with `outbox`: the outbox of transactional enqueues, and its relay (else null).
    {
      provide: TaskQueueOutbox,
      useFactory: createOutbox,
      inject: [TASK_QUEUE_CONFIG, QueueBackend, TaskTracing],
    },
    // Where TaskQueue keeps jobs: BullMQ on the backend (the testing module keeps them in memory).
    {
      provide: JobStore,
      useFactory: (
        backend: QueueBackend,
        tracing: TaskTracing,
        config: TaskQueueConfig,
        outbox: TaskQueueOutbox | null,
      ) => new BullJobStore(backend, tracing, config, outbox?.writer),
      inject: [QueueBackend, TaskTracing, TASK_QUEUE_CONFIG, TaskQueueOutbox],
    },
    // The jobs waiting for events, indexed on the backend.
    {
      provide: EventWaiters,
      useFactory: (backend: QueueBackend) => new BullEventWaiters(backend),
      inject: [QueueBackend],
    },
    TaskWorkerHost,
    // nestjs-cls (an optional peer), found at start: a CLS context per run, and what jobs carry.
    TaskCls,
    { provide: JobContextSource, useExisting: TaskCls },
    { provide: RunContexts, useExisting: TaskCls },
    // The ports the rest of the library reads the backend through.
    { provide: BackendHealth, useFactory: backendHealth, inject: [QueueBackend] },
    { provide: ScheduleStore, useFactory: scheduleStore, inject: [QueueBackend] },
    { provide: DashboardQueues, useFactory: dashboardQueues, inject: [QueueBackend] },
    { provide: ScheduledTasks, useFactory: scheduledTasks, inject: [TaskRegistry] },
    // How the worker host runs jobs: BullMQ workers on the backend.
    {
      provide: RunControl,
      useFactory: (backend: QueueBackend) => new BullRunControl(backend),
      inject: [QueueBackend],
    },
    TaskScheduler,
    ScheduleRecovery,
    TaskQueueRedisPolicy,
    NestBullQueueCheck,
  ],
  exports: [...TASK_QUEUE_EXPORTS, QueueBackend],
})
export class TaskQueueModule extends ConfigurableModuleClass {
  /**
   * The module with these options. Each queue of `queues` can also be injected with
   * `@InjectQueue(name)` of `@nestjs/bullmq`: the BullMQ `Queue` behind `TaskQueues.get(name)`.
   */
  static forRoot(options: TaskQueueModuleOptions = {}): DynamicModule {
    return withQueueTokens(super.forRoot(options), staticQueueNames(options.queues, true));
  }

  /**
   * The module with options made from other providers. The `queues` given here, beside the
   * factory, can be injected with `@InjectQueue(name)`; the factory may leave them out.
   *
   * @example
   * ```ts
   * TaskQueueModule.forRootAsync({
   *   queues: ['default', 'emails'],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ connection: config.get('REDIS_URL') }),
   * })
   * ```
   */
  static forRootAsync({ queues, ...options }: TaskQueueModuleAsyncOptions): DynamicModule {
    const definition = withStaticQueues(super.forRootAsync(options), queues);
    return withQueueTokens(definition, staticQueueNames(queues, false));
  }
}

// The port each consumer injects, on the backend (or registry) that implements it.
function backendHealth(backend: QueueBackend): BackendHealth {
  return backend;
}

function scheduleStore(backend: QueueBackend): ScheduleStore {
  return new BullScheduleStore(backend);
}

function dashboardQueues(backend: QueueBackend): DashboardQueues {
  return { hasQueues: true, queue: (name) => backend.queue(name) };
}

function scheduledTasks(registry: TaskRegistry): ScheduledTasks {
  return registry;
}

function withQueueTokens(definition: DynamicModule, queues: string[]): DynamicModule {
  const providers = queueTokenProviders(queues);
  return {
    ...definition,
    providers: [...(definition.providers ?? []), ...providers],
    exports: [...(definition.exports ?? []), ...providers.map(({ provide }) => provide)],
  };
}
