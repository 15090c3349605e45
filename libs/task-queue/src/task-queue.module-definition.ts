import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TaskQueueModuleOptions } from './interfaces/task-queue-options.interface.js';

// `forRoot` / `forRootAsync` and the options token, made the Nest way. Not exported from the
// package, but TaskQueueModule's published type extends ConfigurableModuleClass.
export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, ASYNC_OPTIONS_TYPE, OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<TaskQueueModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras({}, (definition) => ({ ...definition, global: true }))
    .build();
