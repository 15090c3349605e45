/**
 * The testing kit: queues in memory, with no backend, to test code that enqueues and the tasks
 * themselves (`TaskQueueTestingModule`, `overrideTaskQueueModule`, `TaskQueueTester`).
 *
 * @module nestjs-task-queue/testing
 */
export { TaskQueueTestingModule } from './task-queue-testing.module.js';
export {
  overrideTaskQueueModule,
  type ModuleOverridingBuilder,
} from './override-task-queue-module.js';
export { TaskQueueTester } from './task-queue.tester.js';
export { createTaskContext } from './task-context.factory.js';
export type {
  DeepPartial,
  DrainOptions,
  RecordedJob,
  RecordedJobFilter,
  RecordedStep,
  TaskContextOverrides,
  TaskQueueTestingMode,
  TaskQueueTestingOptions,
  TestTaskContext,
} from './task-queue-testing.interfaces.js';
