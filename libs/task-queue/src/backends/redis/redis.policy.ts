import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ENQUEUE_CONNECT_TIMEOUT_MS } from '../../task-queue.constants.js';
import { backendMessages } from '../backend.messages.js';
import { QueueBackend } from '../queue-backend.js';
import { RedisBackend } from './redis.backend.js';

/**
 * @internal Warns once at bootstrap when Redis may evict keys: BullMQ needs `maxmemory-policy
 * noeviction`, or a Redis that fills up silently drops jobs and their locks. The check runs
 * beside the bootstrap, not in its way, on the application's enqueueing client. Other backends
 * have nothing to check.
 */
@Injectable()
export class TaskQueueRedisPolicy implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TaskQueue');
  private checked?: Promise<void>;

  constructor(private readonly backend: QueueBackend) {}

  onApplicationBootstrap(): void {
    if (this.backend instanceof RedisBackend) this.checked = this.check(this.backend);
  }

  /** The check ends by itself: at once when the client closes, else within its 1.5 s wait. */
  async onApplicationShutdown(): Promise<void> {
    await this.checked;
  }

  private async check(redis: RedisBackend): Promise<void> {
    try {
      // An unreachable Redis is reported by the clients that need it; nothing to check then.
      if (!(await redis.whenReady(ENQUEUE_CONNECT_TIMEOUT_MS))) return;
      const policy = await redis.maxmemoryPolicy();
      if (policy && policy !== 'noeviction') this.logger.warn(backendMessages.redisPolicy(policy));
    } catch (error) {
      // CONFIG is often disabled or renamed on managed Redis: the policy is then unknown.
      this.logger.debug(`maxmemory-policy not checked: ${(error as Error).message}`);
    }
  }
}
