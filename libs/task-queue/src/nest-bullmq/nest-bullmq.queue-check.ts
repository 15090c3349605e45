import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { TaskQueueConfigError } from '../errors/index.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { nestBullMessages } from './nest-bullmq.messages.js';
import { nestBullQueueToken } from './nest-bullmq.tokens.js';

/**
 * @internal Refuses to start when `BullModule.registerQueue()` also registers one of this
 * module's queues: `@InjectQueue()` would then give one or the other `Queue` depending on where
 * it is injected.
 */
@Injectable()
export class NestBullQueueCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
  ) {}

  onModuleInit(): void {
    const providers = this.discovery.getProviders();
    const own = providers.find((wrapper) => wrapper.instance === this)?.host;
    for (const queue of this.config.queues.keys()) {
      const token = nestBullQueueToken(queue);
      if (providers.some((wrapper) => wrapper.token === token && wrapper.host !== own)) {
        throw new TaskQueueConfigError(nestBullMessages.queueAlsoRegisteredWithBullModule(queue));
      }
    }
  }
}
