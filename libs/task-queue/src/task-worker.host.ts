import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { UnrecoverableError, Worker, type Job, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TaskContext } from './interfaces/task-context.interface.js';
import type { TaskQueueConfig } from './task-queue.config.js';
import { closeRedisClient, createRedisClient } from './task-queue.connection.js';
import { TASK_QUEUE_CONFIG } from './task-queue.constants.js';
import { messages } from './task-queue.messages.js';
import type { TaskQueue } from './task-queue.js';
import { TaskQueues } from './task-queues.service.js';
import { TaskScheduler } from './task-scheduler.service.js';
import { TaskRegistry, type BoundTask } from './task.registry.js';

/**
 * @internal Owns this process's BullMQ workers: one per queue it works on, dispatching by job
 * name. Started once the application has bootstrapped; closed (active jobs finish first)
 * before the queues and connections shut down.
 */
@Injectable()
export class TaskWorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TaskWorker');
  private readonly workers: Worker[] = [];
  private client?: Redis;
  private stopping = false;

  constructor(
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
    private readonly registry: TaskRegistry,
    private readonly taskQueues: TaskQueues,
    private readonly scheduler: TaskScheduler,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workerQueues.length === 0) return;
    this.client = createRedisClient(this.config.connection, 'worker', this.logger);
    for (const name of this.config.workerQueues) {
      const processor = this.processor(
        name,
        this.registry.tasksOn(name),
        this.taskQueues.get(name),
      );
      const worker = new Worker(name, processor, {
        connection: this.client,
        prefix: this.config.prefix,
        concurrency: this.config.queues.get(name),
        autorun: false,
      });
      worker.on('error', (error) => this.logger.error(`Worker '${name}': ${error.message}`));
      this.workers.push(worker);
      // Take jobs once connected: a worker started against an unreachable Redis sits in
      // BullMQ's retry delays, which outlive close() by up to 15 s. And only once this
      // process's schedules are reconciled, so no job of a schedule it replaces runs here.
      Promise.all([worker.waitUntilReady(), this.scheduler.whenSettled()])
        .then(() => (this.stopping ? undefined : worker.run()))
        .catch((error: Error) => {
          if (!this.stopping) this.logger.error(`Worker '${name}' stopped: ${error.message}`);
        });
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((worker) => worker.close()));
    await closeRedisClient(this.client);
  }

  private processor(
    queueName: string,
    tasks: ReadonlyMap<string, BoundTask>,
    queue: TaskQueue,
  ): Processor {
    return async (job: Job, _token?: string, signal?: AbortSignal) => {
      const task = tasks.get(job.name);
      if (!task) throw new UnrecoverableError(messages.unknownTaskInWorker(job.name, queueName));
      const payload = (task.kwargs ? { ...task.kwargs, ...job.data } : (job.data ?? {})) as object;
      const ctx: TaskContext = {
        job: {
          id: job.id!,
          name: job.name,
          queue: queueName,
          attempt: job.attemptsMade + 1,
          payload,
        },
        queue,
        signal: signal ?? new AbortController().signal,
        progress: (value) => job.updateProgress(value),
      };
      try {
        const result = await task.run(ctx, payload, job);
        return result === undefined ? null : result;
      } catch (error) {
        // BullMQ records only an Error's message; keep the text of anything else thrown.
        throw error instanceof Error ? error : new Error(messages.nonErrorThrown(error));
      }
    };
  }
}
