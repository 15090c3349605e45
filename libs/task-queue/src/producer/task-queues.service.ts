import { Inject, Injectable, Optional } from '@nestjs/common';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { JobContextSource } from './job-context.js';
import { JobStore } from './job-store.js';
import { QueueCatalogue } from './queue-catalogue.js';
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
  private readonly catalogue: QueueCatalogue;

  /** @internal Made by Nest: inject it. */
  constructor(
    @Inject(TASK_QUEUE_CONFIG) config: TaskQueueConfig,
    registry: TaskRegistry,
    private readonly store: JobStore,
    @Optional() private readonly context?: JobContextSource,
  ) {
    this.catalogue = new QueueCatalogue(registry, config);
  }

  /**
   * The queue called `name`.
   * @throws UnknownQueueError naming the configured queues.
   */
  get(name: string): TaskQueue {
    let queue = this.open.get(name);
    if (!queue) {
      const lookup = this.catalogue.lookupOf(name);
      queue = new TaskQueue(name, {
        ...lookup,
        store: this.store.queue(name),
        catalogue: this.catalogue,
        context: this.context,
      });
      this.open.set(name, queue);
    }
    return queue;
  }

  /** Names of the configured queues. */
  names(): string[] {
    return this.catalogue.names();
  }
}
