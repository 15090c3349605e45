import { Injectable } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { TaskDefinitionError } from '../errors/index.js';
import type { TaskInvocation } from '../per-job/task-invocation.js';
import type { TaskDefinition } from '../interfaces/task-options.interface.js';
import type { TaskJobOptions } from '../producer/job-settings.js';
import { discoveryMessages } from './discovery.messages.js';

/** @internal A discovered task bound to its DI instance. */
export interface BoundTask {
  readonly definition: TaskDefinition & { queue: string };
  /** Default payload fields, merged under every payload. */
  readonly kwargs?: Readonly<Record<string, unknown>>;
  /** Payload validator, checked at enqueue and in the worker. */
  readonly schema?: StandardSchemaV1;
  /** Longest a run may take, in ms; 0 = no limit. An enqueue may override it. */
  readonly timeoutMs: number;
  readonly retryOnTimeout: boolean;
  /** Delay before retry number `retry` (1 for the first), in ms. */
  readonly retryDelayMs: (retry: number) => number;
  /** The settings every job of this task starts from, computed once at bootstrap. */
  readonly jobOptions: Readonly<TaskJobOptions>;
  /** The provider class and method that declare it. */
  readonly type: object;
  readonly methodName: string;
  /**
   * Prepares one job's call: the shared invocation, or one with the job's own DI context
   * (per-job instance, parameters and hooks).
   */
  readonly invoke: (job: object) => TaskInvocation | Promise<TaskInvocation>;
}

/**
 * The tasks this application discovered and bound, with their queues resolved.
 *
 * @example
 * ```ts
 * const names = app.get(TaskRegistry).getAllTasks().map((t) => `${t.queue}/${t.name}`);
 * ```
 */
@Injectable()
export class TaskRegistry {
  private readonly queues = new Map<string, Map<string, BoundTask>>();
  private readonly methods = new Map<object, Map<string, BoundTask>>();

  /** Every bound task, queue by queue. */
  getAllTasks(): TaskDefinition[] {
    return [...this.queues.values()].flatMap((tasks) =>
      [...tasks.values()].map((task) => task.definition),
    );
  }

  /** @internal Adds a task; a second task of the same name on the same queue is an error. */
  add(task: BoundTask): void {
    const { name, queue } = task.definition;
    const tasks = this.tasksOf(queue);
    const existing = tasks.get(name);
    if (existing) {
      throw new TaskDefinitionError(
        discoveryMessages.duplicateTask(
          name,
          queue,
          where(existing.definition),
          where(task.definition),
        ),
      );
    }
    tasks.set(name, task);
    let methods = this.methods.get(task.type);
    if (!methods) this.methods.set(task.type, (methods = new Map<string, BoundTask>()));
    methods.set(task.methodName, task);
  }

  /** @internal The task a class's method declares, if this application bound it. */
  byMethod(type: object, methodName: string): BoundTask | undefined {
    return this.methods.get(type)?.get(methodName);
  }

  /** @internal The tasks of one queue, by name: a live view that sees tasks added later. */
  tasksOn(queue: string): ReadonlyMap<string, BoundTask> {
    return this.tasksOf(queue);
  }

  private tasksOf(queue: string): Map<string, BoundTask> {
    let tasks = this.queues.get(queue);
    if (!tasks) this.queues.set(queue, (tasks = new Map<string, BoundTask>()));
    return tasks;
  }
}

/** `Class.method` of a definition, as errors name it. */
export const where = (definition: Pick<TaskDefinition, 'className' | 'methodName'>) =>
  `${definition.className}.${definition.methodName}`;
