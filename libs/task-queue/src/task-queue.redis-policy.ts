import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { whenReady, type RedisClient } from './task-queue.connection.js';
import { ENQUEUE_CONNECT_TIMEOUT_MS } from './task-queue.constants.js';
import { messages } from './task-queue.messages.js';
import { TaskQueues } from './task-queues.service.js';

/**
 * @internal Warns once at bootstrap when Redis may evict keys: BullMQ needs `maxmemory-policy
 * noeviction`, or a Redis that fills up silently drops jobs and their locks. The check runs
 * beside the bootstrap, not in its way, on the application's enqueueing client.
 */
@Injectable()
export class TaskQueueRedisPolicy implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TaskQueue');
  private checked?: Promise<void>;

  constructor(private readonly taskQueues: TaskQueues) {}

  onApplicationBootstrap(): void {
    this.checked = this.check(this.taskQueues.producerClient());
  }

  /** The check ends by itself: at once when the client closes, else within its 1.5 s wait. */
  async onApplicationShutdown(): Promise<void> {
    await this.checked;
  }

  private async check(client: RedisClient): Promise<void> {
    try {
      // An unreachable Redis is reported by the clients that need it; nothing to check then.
      if (!(await whenReady(client, ENQUEUE_CONNECT_TIMEOUT_MS))) return;
      const [, policy] = (await client.config('GET', 'maxmemory-policy')) as string[];
      if (policy && policy !== 'noeviction') this.logger.warn(messages.redisPolicy(policy));
    } catch (error) {
      // CONFIG is often disabled or renamed on managed Redis: the policy is then unknown.
      this.logger.debug(`maxmemory-policy not checked: ${(error as Error).message}`);
    }
  }
}
