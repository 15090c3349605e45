import type { BoundTask } from '../discovery/task.registry.js';

/** @internal A task as the scheduler reads it: its definition (times), kwargs and job options. */
export type ScheduledTask = Pick<BoundTask, 'definition' | 'kwargs' | 'jobOptions'>;

/**
 * @internal The tasks this application discovered on each queue, for the scheduler to make
 * their schedules match (the registry, wired by the module).
 */
export abstract class ScheduledTasks {
  abstract tasksOn(queue: string): ReadonlyMap<string, ScheduledTask>;
}
