import { Module } from '@nestjs/common';
import { DashboardModuleClass } from './task-queue-dashboard.module-definition.js';
import { TaskQueueDashboardMounter } from './task-queue-dashboard.mounter.js';

/**
 * Bull Board, the BullMQ web UI, over every queue of {@link nestjs-task-queue!TaskQueueModule}, served by the
 * application's Express server. It is mounted only behind protection: basic-auth `auth`, your
 * own `middleware`, or, for local development, `allowUnauthenticatedOnLoopback` on a server
 * bound to a loopback address. Import it beside `TaskQueueModule`, in the API process.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     TaskQueueModule.forRoot({ queues: ['default', 'emails'] }),
 *     TaskQueueDashboardModule.forRoot({ auth: { username: 'ops', password: 'secret' } }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({ providers: [TaskQueueDashboardMounter] })
export class TaskQueueDashboardModule extends DashboardModuleClass {}
