import { UnknownQueueError } from '../errors/index.js';
import type { TaskRegistry } from '../discovery/task.registry.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { producerMessages } from './producer.messages.js';
import type { TaskLookup } from './prepared-job.js';
import type { FlowLookup } from './task-flow.js';
import type { TaskByMethod } from './task-target.js';

/**
 * @internal What the queues of one application know of its tasks: those of each configured
 * queue, and which task a provider method declares. A read-only view of the registry and the
 * configuration, made once by {@link TaskQueues} and shared by its queues.
 */
export class QueueCatalogue implements TaskByMethod, FlowLookup {
  constructor(
    private readonly registry: Pick<TaskRegistry, 'tasksOn' | 'byMethod'>,
    private readonly config: Pick<TaskQueueConfig, 'queues' | 'maxPayloadBytes'>,
  ) {}

  /**
   * What checking a job of queue `name` needs: its tasks, the payload limit.
   * @throws UnknownQueueError naming the configured queues.
   */
  lookupOf(name: string): TaskLookup {
    if (!this.config.queues.has(name)) {
      throw new UnknownQueueError(producerMessages.unknownQueue(name, this.config.queues.keys()));
    }
    return { tasks: this.registry.tasksOn(name), maxPayloadBytes: this.config.maxPayloadBytes };
  }

  byMethod(type: object, methodName: string) {
    return this.registry.byMethod(type, methodName);
  }

  /** Names of the configured queues. */
  names(): string[] {
    return [...this.config.queues.keys()];
  }
}
