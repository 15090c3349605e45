import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { BackendUnavailableError, RedisUnavailableError } from '../errors/index.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { backendMessages } from './backend.messages.js';
import { QueueBackend } from './queue-backend.js';

/** How long to pause between two tries of a backend that refused at once, in ms. */
const RETRY_MS = 250;

/** How long the last look at an unreachable backend may take, for the error's reason, in ms. */
const REASON_PING_MS = 500;

/**
 * @internal `failFast`: holds the bootstrap until the backend answers, for at most that many
 * seconds, then fails it with the backend's unavailable error (the URL without its password,
 * what to check). Runs when the module initialises, before any worker or schedule starts, and
 * closes the backend's connections before failing so that the process can end. Without
 * `failFast` it does nothing: the application boots and its workers wait for the backend.
 */
@Injectable()
export class BackendFailFast implements OnModuleInit {
  constructor(
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
    private readonly backend: QueueBackend,
  ) {}

  async onModuleInit(): Promise<void> {
    const { failFast } = this.config;
    if (failFast === undefined) return;
    try {
      if (await this.reachedWithin(failFast * 1000)) return;
      throw await this.unreachable(failFast);
    } catch (error) {
      await this.backend.close();
      throw error;
    }
  }

  /** Tries until the backend answers or `ms` have passed; a refusal is tried again. */
  private async reachedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (await this.backend.whenReady(Math.max(deadline - Date.now(), 1))) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await sleep(Math.min(RETRY_MS, left));
    }
  }

  private async unreachable(seconds: number): Promise<Error> {
    const { outage, kind } = this.backend;
    const reason = outage.lastError ?? (await this.backend.ping(REASON_PING_MS)).error;
    const message = backendMessages.failFast(outage.where, seconds, reason ?? 'no answer');
    return kind === 'redis'
      ? new RedisUnavailableError(message)
      : new BackendUnavailableError(message);
  }
}
