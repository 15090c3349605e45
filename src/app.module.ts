import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TaskQueueExceptionFilter, TaskQueueModule } from '@app/task-queue';
import { TaskQueueDashboardModule } from '@app/task-queue/dashboard';
import { QUEUES, readAppConfig, type WorkerChoice } from './app.config.js';
import { CampaignsModule } from './campaigns/campaigns.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { OpsModule } from './ops/ops.module.js';
import { PaymentsModule } from './payments/payments.module.js';
import { SharedModule } from './shared/shared.module.js';
import { UsersModule } from './users/users.module.js';

/** The modules whose providers hold tasks: every process of the app imports all of them. */
export const TASK_MODULES = [SharedModule, UsersModule, PaymentsModule, CampaignsModule];

/**
 * The task queue as every entry point configures it, from the environment; `worker` overrides
 * `TASK_WORKER` (the worker process passes its `--queues`, the CLI `false`).
 */
export function taskQueueModule(worker?: WorkerChoice): DynamicModule {
  // Read at bootstrap rather than at import, so a test can set its own prefix first.
  return TaskQueueModule.forRootAsync({
    useFactory: () => {
      const config = readAppConfig();
      return {
        connection: config.queueUrl,
        migrate: config.migrate,
        prefix: config.prefix,
        queues: QUEUES,
        worker: worker ?? config.worker,
        shutdownGracePeriod: config.shutdownGracePeriod,
      };
    },
  });
}

/**
 * The example application: three domains, each with its tasks beside its controller, and shared
 * tasks. None of them is listed anywhere for the task queue: it finds them at bootstrap.
 */
@Module({
  imports: [
    taskQueueModule(),
    // Bull Board at /queues: behind DASHBOARD_USER / DASHBOARD_PASSWORD when they are set,
    // otherwise open for local development only, which main.ts allows by binding 127.0.0.1.
    TaskQueueDashboardModule.forRootAsync({
      useFactory: () => {
        const { dashboardAuth } = readAppConfig();
        return dashboardAuth ? { auth: dashboardAuth } : { allowUnauthenticatedOnLoopback: true };
      },
    }),
    ...TASK_MODULES,
    JobsModule,
    OpsModule,
  ],
  // The task queue's errors as HTTP answers: 400, 404, 503 with Retry-After, 504, 500.
  providers: [{ provide: APP_FILTER, useClass: TaskQueueExceptionFilter }],
})
export class AppModule {}

/** Root of the processes without HTTP (the worker, the CLI): the task modules and the queue. */
@Module({})
export class TasksOnlyModule {
  static forRoot(worker: WorkerChoice): DynamicModule {
    return { module: TasksOnlyModule, imports: [taskQueueModule(worker), ...TASK_MODULES] };
  }
}
