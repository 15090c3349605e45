import { Injectable } from '@nestjs/common';
import { httpMessages } from '../http/task-queue-http.messages.js';
import { storeName } from './backend-health.js';
import { TaskQueueHealth, type TaskQueueHealthReport } from './task-queue.health.js';

/** What {@link TaskQueueHealthIndicator.isHealthy} reports under its key. */
export type TaskQueueIndicatorDetail = {
  /** `'up'` when the backend answers, `'down'` when it does not. */
  status: 'up' | 'down';
  /** Which backend the queues live on, and whether it answered. */
  backend: TaskQueueHealthReport['backend'];
  /** Per configured queue: workers connected to it, in any process (`null`: no answer). */
  queues: TaskQueueHealthReport['queues'];
  /** When down: what is wrong. */
  message?: string;
};

/**
 * A result of `@nestjs/terminus`'s `HealthIndicatorResult` shape, declared here so the package's
 * types need no terminus.
 */
export type TaskQueueIndicatorResult<Key extends string = string> = Record<
  Key,
  TaskQueueIndicatorDetail
>;

/**
 * A health indicator for `@nestjs/terminus` (11 or later): `up` with the backend's kind and the
 * workers connected to each queue, `down` when the backend (Redis or PostgreSQL) does not answer,
 * which `HealthCheckService.check()` answers with 503. A queue without workers is still `up`:
 * an API process's health does not depend on the worker processes; read `queues` for them.
 * Provided by `TaskQueueModule`; terminus stays optional (nothing here imports it).
 *
 * @example
 * ```ts
 * @Controller('health')
 * export class HealthController {
 *   constructor(
 *     private readonly health: HealthCheckService,
 *     private readonly taskQueue: TaskQueueHealthIndicator,
 *   ) {}
 *
 *   @Get()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.taskQueue.isHealthy('taskQueue')]);
 *   }
 * }
 * ```
 */
@Injectable()
export class TaskQueueHealthIndicator {
  /** @internal Made by Nest: inject it. */
  constructor(private readonly health: TaskQueueHealth) {}

  /**
   * Checks the backend and counts the workers of every queue; answers within about 2 s and
   * never throws for an unreachable backend (terminus reads `status: 'down'` as a failed check).
   *
   * @param key the indicator's key in the health report; default `'taskQueue'`.
   */
  async isHealthy<Key extends string = 'taskQueue'>(
    key: Key = 'taskQueue' as Key,
  ): Promise<TaskQueueIndicatorResult<Key>> {
    const { backend, queues } = await this.health.check();
    const detail: TaskQueueIndicatorDetail = backend.reachable
      ? { status: 'up', backend, queues }
      : {
          status: 'down',
          message: httpMessages.backendDown(storeName(backend.kind), backend.error),
          backend,
          queues,
        };
    return { [key]: detail } as TaskQueueIndicatorResult<Key>;
  }
}
