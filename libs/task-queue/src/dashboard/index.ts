export { TaskQueueDashboardModule } from './task-queue-dashboard.module.js';
export type {
  DashboardCredentials,
  DashboardMiddleware,
  TaskQueueDashboardOptions,
} from '../interfaces/task-queue-dashboard-options.interface.js';
