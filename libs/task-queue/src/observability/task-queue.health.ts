import { Injectable } from '@nestjs/common';
import { BackendHealth, type BackendKind } from './backend-health.js';
import { TaskQueues } from '../producer/task-queues.service.js';

/** Longest a health check waits for the backend, in ms: a check must answer while it hangs. */
const CHECK_TIMEOUT_MS = 1000;

/** What {@link TaskQueueHealth.check} found. */
export interface TaskQueueHealthReport {
  /** `true` when the backend answers and every queue has at least one worker connected. */
  healthy: boolean;
  /** Which backend the queues live on, and whether it answered. */
  backend: {
    /** The backend: `'redis'`, `'postgres'` or `'pglite'`. */
    kind: BackendKind;
    /** Whether it answered within the check's time (1 s). */
    reachable: boolean;
    /** Why it did not answer, when it did not. */
    error?: string;
  };
  /** On Redis only, as before the other backends: the same as `backend`, without `kind`. */
  redis?: {
    /** Whether Redis answered within the check's time (1 s). */
    reachable: boolean;
    /** Why it did not answer, when it did not. */
    error?: string;
  };
  /** Per configured queue: workers connected to it, in any process (`null`: no answer). */
  queues: Record<
    string,
    {
      /** Workers connected to the queue; `null` when the backend gave no count within 1 s. */
      workers: number | null;
    }
  >;
}

/**
 * Whether this application's queues can do their work: the backend (Redis or PostgreSQL)
 * reachable, and per queue the workers connected to it (BullMQ's `getWorkersCount()`, which
 * counts every process; on the embedded PGlite, the workers of this process).
 *
 * @example
 * ```ts
 * const report = await this.health.check();
 * response.status(report.healthy ? 200 : 503).json(report);
 * ```
 */
@Injectable()
export class TaskQueueHealth {
  /** @internal Made by Nest: inject it. */
  constructor(
    private readonly taskQueues: TaskQueues,
    private readonly backend: BackendHealth,
  ) {}

  /** Checks the backend and the workers of every queue; never throws, answers within about 2 s. */
  async check(): Promise<TaskQueueHealthReport> {
    const names = this.taskQueues.names();
    const queues: TaskQueueHealthReport['queues'] = {};
    const { kind } = this.backend;
    const reachability = await this.backend.ping(CHECK_TIMEOUT_MS);
    const report = (healthy: boolean): TaskQueueHealthReport => ({
      healthy,
      backend: { kind, ...reachability },
      ...(kind === 'redis' ? { redis: reachability } : {}),
      queues,
    });
    if (!reachability.reachable) {
      for (const name of names) queues[name] = { workers: null };
      return report(false);
    }
    const counts = await Promise.all(
      names.map((name) =>
        withTimeout(this.backend.workersCount(name), CHECK_TIMEOUT_MS).catch(() => null),
      ),
    );
    names.forEach((name, index) => (queues[name] = { workers: counts[index] }));
    return report(counts.every((count) => count !== null && count > 0));
  }
}

/** @internal `promise`, or a rejection once `ms` have passed without its answer. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
