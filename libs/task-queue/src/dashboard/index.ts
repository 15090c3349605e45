/**
 * The dashboard: Bull Board over the module's queues, mounted only behind protection.
 *
 * @module nestjs-task-queue/dashboard
 */
export { TaskQueueDashboardModule } from './task-queue-dashboard.module.js';
export type {
  DashboardCredentials,
  DashboardMiddleware,
  TaskQueueDashboardOptions,
} from '../interfaces/task-queue-dashboard-options.interface.js';
