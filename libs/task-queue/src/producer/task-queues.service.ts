import { Inject, Injectable } from '@nestjs/common';
import { UnknownQueueError } from '../errors/index.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { messages } from '../task-queue.messages.js';
import { JobStore } from './job-store.js';
import { TaskQueue } from './task-queue.js';
import { TaskRegistry } from '../discovery/task.registry.js';

/**
 * The configured queues, by name. Inject it wherever jobs are enqueued.
 *
 * @example
 * ```ts
 * constructor(private readonly taskQueues: TaskQueues) {}
 *
 * const job = await this.taskQueues.get('default').enqueue('send_email', { to });
 * ```
 */
@Injectable()
export class TaskQueues {
  private readonly open = new Map<string, TaskQueue>();

  /** @internal Made by Nest: inject it. */
  constructor(
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
    private readonly registry: TaskRegistry,
    private readonly store: JobStore,
  ) {}

  /**
   * The queue called `name`.
   * @throws UnknownQueueError naming the configured queues.
   */
  get(name: string): TaskQueue {
    let queue = this.open.get(name);
    if (!queue) {
      if (!this.config.queues.has(name)) {
        throw new UnknownQueueError(messages.unknownQueue(name, this.config.queues.keys()));
      }
      queue = new TaskQueue(name, {
        store: this.store.queue(name),
        tasks: this.registry.tasksOn(name),
        maxPayloadBytes: this.config.maxPayloadBytes,
        byMethod: (type, method) => this.registry.byMethod(type, method),
        lookupOf: (other) => this.lookupOf(other),
      });
      this.open.set(name, queue);
    }
    return queue;
  }

  /** What checking a job of queue `name` needs: its tasks, the payload limit. */
  private lookupOf(name: string) {
    if (!this.config.queues.has(name)) {
      throw new UnknownQueueError(messages.unknownQueue(name, this.config.queues.keys()));
    }
    return { tasks: this.registry.tasksOn(name), maxPayloadBytes: this.config.maxPayloadBytes };
  }

  /** Names of the configured queues. */
  names(): string[] {
    return [...this.config.queues.keys()];
  }
}
