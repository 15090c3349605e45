import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TaskQueueDashboardOptions } from '../interfaces/task-queue-dashboard-options.interface.js';

// `forRoot` / `forRootAsync` of the dashboard and its options token. Not exported from the
// package, but TaskQueueDashboardModule's published type extends DashboardModuleClass.
export const {
  ConfigurableModuleClass: DashboardModuleClass,
  MODULE_OPTIONS_TOKEN: DASHBOARD_OPTIONS,
} = new ConfigurableModuleBuilder<TaskQueueDashboardOptions>()
  .setClassMethodName('forRoot')
  .build();
