/**
 * The package's main entry point: `TaskQueueModule`, the `@Task()` and `@ScheduledTask()`
 * decorators, `TaskQueues` to enqueue, the error classes, health, metrics and the ORM adapters.
 *
 * @module nestjs-task-queue
 */
export { ScheduledTask } from './decorators/scheduled-task.decorator.js';
export { Task } from './decorators/task.decorator.js';
export { TaskInject } from './decorators/task-inject.decorator.js';
export * from './errors/index.js';
export type { TaskContext, TaskJobRef } from './interfaces/task-context.interface.js';
export type { WaitForEventOptions } from './durable/step-journal.js';
export type { OnTaskFailure, OnTaskSuccess } from './interfaces/task-hooks.interface.js';
export type { EnqueueFlowOptions, MapOptions, TaskFlow } from './interfaces/task-flow.interface.js';
export type {
  ApplyOptions,
  EnqueuedJob,
  EnqueueItem,
  EnqueueManyOptions,
  EnqueueOptions,
  TaskFailedAttempt,
  TaskJobInfo,
  TaskJobStatus,
  TaskJobStep,
  TaskQueueStats,
} from './interfaces/task-job.interface.js';
export type {
  KeepJobs,
  RetentionOptions,
  ScheduledTaskOptions,
  TaskDefinition,
  TaskOptions,
} from './interfaces/task-options.interface.js';
export type { TaskMethodName, TaskPayload, TaskResult } from './interfaces/typed-task.interface.js';
export type {
  ScheduleOptions,
  ScheduleSettings,
  TaskSchedule,
} from './interfaces/task-schedule.interface.js';
export type { BackendKind } from './observability/backend-health.js';
export type { PGliteLike } from './backends/postgres/pglite.pool.js';
export type {
  ClusterConnection,
  ClusterNode,
  PGliteBackendConnection,
  PostgresBackendConnection,
  PostgresPoolConfig,
  RedisConnection,
  QueueRateLimit,
  QueueSettings,
  TaskQueueConnection,
  TaskQueueModuleOptions,
  TaskQueueOutboxOptions,
  WorkerSettings,
} from './interfaces/task-queue-options.interface.js';
export { getRegistry, type TaskCatalogue } from './discovery/task-catalogue.js';
export { TASK_JOB } from './task-queue.constants.js';
export { TaskQueueHealth, type TaskQueueHealthReport } from './observability/task-queue.health.js';
export {
  TaskQueueHealthIndicator,
  type TaskQueueIndicatorDetail,
  type TaskQueueIndicatorResult,
} from './observability/task-queue.health-indicator.js';
export {
  TaskQueueExceptionFilter,
  type TaskQueueErrorBody,
  type TaskQueueExceptionFilterOptions,
} from './http/task-queue.exception-filter.js';
export { TaskQueueMetrics, type TaskRunOutcome } from './observability/task-queue.metrics.js';
export type {
  MetricsRegistry,
  TaskQueueMetricsOptions,
} from './interfaces/task-queue-metrics-options.interface.js';
export { TaskQueueModule } from './task-queue.module.js';
export type { TaskQueueModuleAsyncOptions } from './task-queue.module-definition.js';
export { TaskQueueMigrator, type TaskQueueMigration } from './backends/task-queue.migrator.js';
export { TaskQueue } from './producer/task-queue.js';
export { TaskQueues } from './producer/task-queues.service.js';
export { TaskRegistry } from './discovery/task.registry.js';
export { runWorker } from './runner/run-worker.js';
export type { RunWorkerOptions } from './interfaces/run-worker-options.interface.js';
export type {
  TaskQueueClsOptions,
  TaskQueueClsTransactions,
} from './interfaces/task-queue-cls-options.interface.js';
export type { TaskTransaction } from './interfaces/task-transaction.interface.js';
export {
  drizzleTransaction,
  type DrizzleTransactionLike,
} from './transactions/drizzle.transaction.js';
export {
  prismaTransaction,
  type PrismaTransactionLike,
} from './transactions/prisma.transaction.js';
export {
  typeormTransaction,
  type TypeormTransactionLike,
} from './transactions/typeorm.transaction.js';
