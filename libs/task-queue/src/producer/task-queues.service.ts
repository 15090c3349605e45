import { Inject, Injectable, Optional } from '@nestjs/common';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { JobContextSource } from './job-context.js';
import { JobStore } from './job-store.js';
import { QueueCatalogue } from './queue-catalogue.js';
import { TaskQueue } from './task-queue.js';
import { TaskRegistry } from '../discovery/task.registry.js';
import { EventWaiters } from './event-waiters.js';
import { producerMessages } from './producer.messages.js';
import { InvalidOptionsError, InvalidPayloadError } from '../errors/index.js';
import { plainDataProblem } from './task-payload.js';

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
    /** @internal */
    readonly waiters: EventWaiters,
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

  /**
   * Sends event `name` to the jobs waiting for it (`ctx.waitForEvent`), on any queue: each one
   * whose wait began before this call and whose `match` the data has (a deep subset) resumes,
   * in any process, with `data`. Jobs that wait for that name are found through an index by
   * name, not by reading the queues. An event no job waits for is not kept: a wait that begins
   * later does not see it.
   *
   * @param data a plain object of plain data, as a payload.
   * @returns how many waiting jobs it woke.
   * @throws InvalidOptionsError for an empty name; InvalidPayloadError for data that is not
   *   plain data.
   * @example
   * ```ts
   * await taskQueues.sendEvent('email.confirmed', { userId: 42 });
   * ```
   */
  async sendEvent(name: string, data: object = {}): Promise<number> {
    if (typeof name !== 'string' || name === '') {
      throw new InvalidOptionsError(producerMessages.invalidEvent(name, 'the name is empty'));
    }
    const problem =
      data === null || typeof data !== 'object' || Array.isArray(data)
        ? { path: 'data', problem: 'is not an object' }
        : plainDataProblem(data, 'data');
    if (problem) {
      throw new InvalidPayloadError(
        producerMessages.invalidEvent(name, `${problem.path} ${problem.problem}`),
      );
    }
    return this.waiters.send(name, data);
  }

  /** Names of the configured queues. */
  names(): string[] {
    return this.catalogue.names();
  }
}
