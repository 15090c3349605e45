import { Injectable } from '@nestjs/common';
import { TaskQueues } from './task-queues.service.js';

/** Longest a health check waits for Redis, in ms: a check must answer while Redis hangs. */
const CHECK_TIMEOUT_MS = 1000;

/** What {@link TaskQueueHealth.check} found. */
export interface TaskQueueHealthReport {
  /** `true` when Redis answers and every queue has at least one worker connected. */
  healthy: boolean;
  redis: { reachable: boolean; error?: string };
  /** Per configured queue: workers connected to it, in any process (`null`: Redis did not say). */
  queues: Record<string, { workers: number | null }>;
}

/**
 * Whether this application's queues can do their work: Redis reachable, and per queue the
 * workers connected to it (BullMQ's `getWorkersCount()`, which counts every process).
 *
 * @example
 * ```ts
 * const report = await this.health.check();
 * response.status(report.healthy ? 200 : 503).json(report);
 * ```
 */
@Injectable()
export class TaskQueueHealth {
  constructor(private readonly taskQueues: TaskQueues) {}

  /** Checks Redis and the workers of every queue; never throws, answers within about 2 s. */
  async check(): Promise<TaskQueueHealthReport> {
    // The enqueueing client: it fails fast while disconnected (no offline queue), so a check
    // never waits on the reconnect backoff of the workers' clients.
    const client = this.taskQueues.producerClient();
    const names = this.taskQueues.names();
    const queues: TaskQueueHealthReport['queues'] = {};
    try {
      if (client.status === 'wait') await withTimeout(client.connect());
      await withTimeout(client.ping());
    } catch (error) {
      for (const name of names) queues[name] = { workers: null };
      return { healthy: false, redis: { reachable: false, error: textOf(error) }, queues };
    }
    const counts = await Promise.all(
      names.map((name) =>
        withTimeout(this.taskQueues.bullQueue(name).getWorkersCount()).catch(() => null),
      ),
    );
    names.forEach((name, index) => (queues[name] = { workers: counts[index] }));
    const healthy = counts.every((count) => count !== null && count > 0);
    return { healthy, redis: { reachable: true }, queues };
  }
}

const textOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Redis did not answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
