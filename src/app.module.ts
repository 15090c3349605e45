import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TaskQueueDashboardModule, TaskQueueModule } from '@app/task-queue';
import { readAppConfig } from './app.config.js';
import { CampaignsModule } from './campaigns/campaigns.module.js';
import { TaskQueueErrorsFilter } from './common/task-queue-errors.filter.js';
import { JobsModule } from './jobs/jobs.module.js';
import { PaymentsModule } from './payments/payments.module.js';
import { SharedModule } from './shared/shared.module.js';
import { UsersModule } from './users/users.module.js';

/**
 * The example application: three domains, each with its tasks beside its controller, and shared
 * tasks. None of them is listed anywhere for the task queue: it finds them at bootstrap.
 */
@Module({
  imports: [
    // Read at bootstrap rather than at import, so a test can set its own prefix first.
    TaskQueueModule.forRootAsync({
      useFactory: () => {
        const { redisUrl, prefix } = readAppConfig();
        return { connection: redisUrl, prefix };
      },
    }),
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
  ],
  providers: [{ provide: APP_FILTER, useClass: TaskQueueErrorsFilter }],
})
export class AppModule {}
