import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TaskQueueExceptionFilter, TaskQueueModule } from '@app/task-queue';
import { TaskQueueDashboardModule } from '@app/task-queue/dashboard';
import {
  APP_SCHEMA,
  QUEUES,
  queuesShareAppDatabase,
  queuesUseOutbox,
  readAppConfig,
} from './app.config.js';
import { CampaignsModule } from './campaigns/campaigns.module.js';
import { DatabaseModule } from './database/database.module.js';
import { Database, EmbeddedDatabase } from './database/database.js';
import { JobsModule } from './jobs/jobs.module.js';
import { OpsModule } from './ops/ops.module.js';
import { TracingFlush } from './ops/tracing-flush.js';
import { PaymentsModule } from './payments/payments.module.js';
import { SharedModule } from './shared/shared.module.js';
import { UsersModule } from './users/users.module.js';

/**
 * The task queue, from the environment. `TASK_WORKER` decides for the API process; the worker
 * process (`runWorker`) and the CLI say for themselves which workers they run.
 */
function taskQueueModule(): DynamicModule {
  // Read at bootstrap rather than at import, so a test can set its own prefix first.
  return TaskQueueModule.forRootAsync({
    imports: [DatabaseModule],
    inject: [Database],
    useFactory: async (database: Database) => {
      const config = readAppConfig();
      // On PGlite the queues take the app's own instance, so that the signup's transaction can
      // write the user and the welcome email's job together (src/users/signup.service.ts), and
      // its schema, since they set the session's search_path to theirs (app.config.ts).
      const sharedPglite = queuesShareAppDatabase(config) && database instanceof EmbeddedDatabase;
      // On Redis beside the app's PostgreSQL, an outbox there, so that the signup's transaction
      // writes the welcome email's job with the user (the relay moves it to Redis once committed).
      const outbox = queuesUseOutbox(config)
        ? { connection: config.databaseUrl!, schema: config.outboxSchema }
        : undefined;
      return {
        // Started and migrated here, before the queues' first statement; otherwise only at the
        // app's first query, so that a process that makes none never starts it.
        connection: sharedPglite ? { pglite: await database.open() } : config.queueUrl,
        outbox,
        migrate: config.migrate,
        prefix: sharedPglite ? APP_SCHEMA : config.prefix,
        queues: QUEUES,
        worker: config.worker,
        shutdownGracePeriod: config.shutdownGracePeriod,
      };
    },
  });
}

/**
 * The example application: three domains, each with its tasks beside its controller, and shared
 * tasks. None of them is listed anywhere for the task queue: it finds them at bootstrap. Every
 * process boots it: the API (main.ts), the workers (worker.ts, `runWorker`) and the package's
 * CLI (`npm run tasks`).
 */
@Module({
  imports: [
    // First: on PGlite the queues use its instance, so it must shut down after them (see there).
    DatabaseModule,
    taskQueueModule(),
    // Bull Board at /queues: behind DASHBOARD_USER / DASHBOARD_PASSWORD when they are set,
    // otherwise open for local development only, which main.ts allows by binding 127.0.0.1.
    TaskQueueDashboardModule.forRootAsync({
      useFactory: () => {
        const { dashboardAuth } = readAppConfig();
        return dashboardAuth ? { auth: dashboardAuth } : { allowUnauthenticatedOnLoopback: true };
      },
    }),
    SharedModule,
    UsersModule,
    PaymentsModule,
    CampaignsModule,
    JobsModule,
    OpsModule,
  ],
  // The task queue's errors as HTTP answers: 400, 404, 503 with Retry-After, 504, 500.
  providers: [{ provide: APP_FILTER, useClass: TaskQueueExceptionFilter }, TracingFlush],
})
export class AppModule {}
