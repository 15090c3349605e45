import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { UnknownQueueError } from './errors/index.js';
import type { TaskQueueConfig } from './task-queue.config.js';
import { closeRedisClient, createRedisClient, type RedisClient } from './task-queue.connection.js';
import { TASK_QUEUE_CONFIG } from './task-queue.constants.js';
import { messages } from './task-queue.messages.js';
import { TaskQueue } from './task-queue.js';
import { TaskRegistry } from './task.registry.js';

interface OpenQueue {
  taskQueue: TaskQueue;
  queue: Queue;
  events?: Promise<QueueEvents>;
}

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
export class TaskQueues implements OnApplicationShutdown {
  private readonly logger = new Logger('TaskQueues');
  private readonly open = new Map<string, OpenQueue>();
  private producer?: RedisClient;
  private listener?: RedisClient;

  constructor(
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
    private readonly registry: TaskRegistry,
  ) {}

  /**
   * The queue called `name`.
   * @throws UnknownQueueError naming the configured queues.
   */
  get(name: string): TaskQueue {
    const open = this.open.get(name) ?? this.openQueue(name);
    return open.taskQueue;
  }

  /** Names of the configured queues. */
  names(): string[] {
    return [...this.config.queues.keys()];
  }

  /** @internal The enqueueing client every queue of this application shares, made on first use. */
  producerClient(): RedisClient {
    return (this.producer ??= createRedisClient(this.config.connection, 'producer', this.logger));
  }

  /** @internal The BullMQ queue behind `name`, for health checks and metrics. */
  bullQueue(name: string): Queue {
    return (this.open.get(name) ?? this.openQueue(name)).queue;
  }

  async onApplicationShutdown(): Promise<void> {
    const open = [...this.open.values()];
    this.open.clear();
    await Promise.all(
      open.map(async ({ queue, events }) => {
        await (await events?.catch(() => undefined))?.close();
        await queue.close();
      }),
    );
    await Promise.all([closeRedisClient(this.producer), closeRedisClient(this.listener)]);
  }

  private openQueue(name: string): OpenQueue {
    if (!this.config.queues.has(name)) {
      throw new UnknownQueueError(messages.unknownQueue(name, this.config.queues.keys()));
    }
    const producer = this.producerClient();
    const queue = new Queue(name, { connection: producer, prefix: this.config.prefix });
    queue.on('error', (error) => this.logger.error(`Queue '${name}': ${error.message}`));
    const open: OpenQueue = {
      queue,
      taskQueue: new TaskQueue(name, {
        queue,
        client: producer,
        tasks: this.registry.tasksOn(name),
        prefix: this.config.prefix,
        maxPayloadBytes: this.config.maxPayloadBytes,
        byMethod: (type, method) => this.registry.byMethod(type, method),
        events: () => (open.events ??= this.openEvents(name)),
      }),
    };
    this.open.set(name, open);
    return open;
  }

  /** Events are read on a blocking connection that BullMQ duplicates from the listener client. */
  private async openEvents(name: string): Promise<QueueEvents> {
    this.listener ??= createRedisClient(this.config.connection, 'worker', this.logger);
    const events = new QueueEvents(name, { connection: this.listener, prefix: this.config.prefix });
    events.on('error', (error) => this.logger.error(`Queue events '${name}': ${error.message}`));
    await events.waitUntilReady();
    return events;
  }
}
