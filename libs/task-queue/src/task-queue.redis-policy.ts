import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { TaskQueueConfig } from './task-queue.config.js';
import {
  closeRedisClient,
  createRedisClient,
  whenReady,
  type RedisClient,
} from './task-queue.connection.js';
import { ENQUEUE_CONNECT_TIMEOUT_MS, TASK_QUEUE_CONFIG } from './task-queue.constants.js';
import { messages } from './task-queue.messages.js';

/**
 * @internal Warns once at bootstrap when Redis may evict keys: BullMQ needs `maxmemory-policy
 * noeviction`, or a Redis that fills up silently drops jobs and their locks. The check runs
 * beside the bootstrap, not in its way.
 */
@Injectable()
export class TaskQueueRedisPolicy implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TaskQueue');
  private client?: RedisClient;
  private checked?: Promise<void>;

  constructor(@Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig) {}

  onApplicationBootstrap(): void {
    this.client = createRedisClient(this.config.connection, 'producer', this.logger);
    this.checked = this.check(this.client);
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRedisClient(this.client);
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
    } finally {
      await closeRedisClient(client);
    }
  }
}
