import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { TaskQueueConfigError } from '../errors/index.js';
import { TaskQueues } from '../producer/task-queues.service.js';
import { JOB_METRICS } from '../task-queue.constants.js';
import { metricsMessages } from './metrics.messages.js';
import { BackendHealth, storeName } from './backend-health.js';
import { withTimeout } from './task-queue.health.js';
import type { JobMetrics, NoJobMetrics, QueueCounts, TaskRunOutcome } from './job-metrics.js';

export type { TaskRunOutcome } from './job-metrics.js';

/** Longest a scrape waits for the queue counts, in ms: past it, the gauges are left out. */
const READ_TIMEOUT_MS = 2000;

/**
 * Prometheus metrics of this application's queues, in a prom-client registry (the module's
 * `metrics: { registry }`, else prom-client's default `register`): the histogram
 * `task_queue_job_duration_seconds{queue,task,outcome}` of the runs that finished in this
 * process, and the gauges `task_queue_jobs{queue,status}` and `task_queue_workers{queue}`, read
 * from the backend at each scrape (every process sees every worker's jobs). Needs the package
 * `prom-client`; without it, the module works and records no metrics.
 *
 * @example
 * ```ts
 * @Get('metrics')
 * @Header('content-type', TaskQueueMetrics.contentType)
 * metrics() {
 *   return this.metrics.prometheus();
 * }
 * ```
 */
@Injectable()
export class TaskQueueMetrics implements OnModuleInit, OnModuleDestroy {
  /** Content type of {@link prometheus}'s text: Prometheus exposition format 0.0.4. */
  static readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  private readonly logger = new Logger('TaskQueueMetrics');
  private removeSource?: () => void;
  /** Whether the last read of the queue counts failed: said once per outage. */
  private failing = false;

  /** @internal Made by Nest: inject it. */
  constructor(
    private readonly taskQueues: TaskQueues,
    private readonly backend: BackendHealth,
    @Inject(JOB_METRICS) private readonly metrics: JobMetrics | NoJobMetrics,
  ) {}

  /** Adds this application's queues to the gauges (Nest calls it). */
  onModuleInit(): void {
    if ('addSource' in this.metrics) {
      this.removeSource = this.metrics.addSource(() => this.queueCounts());
    }
  }

  /** This application's queues leave the gauges; the other applications' stay (Nest calls it). */
  onModuleDestroy(): void {
    this.removeSource?.();
    this.removeSource = undefined;
  }

  /** @internal Records one finished run of a task. */
  observe(queue: string, task: string, outcome: TaskRunOutcome, seconds: number): void {
    if ('observe' in this.metrics) this.metrics.observe(queue, task, outcome, seconds);
  }

  /**
   * The registry's metrics in the Prometheus text format: the module's, and any other metric
   * of that registry. Never fails because the backend is down: the queue gauges are then left
   * out (and a warning logged once), the rest is served.
   * @throws TaskQueueConfigError when metrics are off (`metrics: false`, or no `prom-client`).
   */
  async prometheus(): Promise<string> {
    if ('unavailable' in this.metrics) {
      throw new TaskQueueConfigError(this.metrics.unavailable);
    }
    return this.metrics.registry.metrics();
  }

  /** This application's queues for the gauges, or none when the backend does not answer. */
  private async queueCounts(): Promise<QueueCounts[]> {
    const names = this.taskQueues.names();
    try {
      const stats = await withTimeout(
        Promise.all(names.map((name) => this.taskQueues.get(name).stats())),
        READ_TIMEOUT_MS,
      );
      if (this.failing)
        this.logger.log(metricsMessages.queueGaugesBack(storeName(this.backend.kind)));
      this.failing = false;
      return stats.map(({ counts, workers }, index) => ({ queue: names[index], counts, workers }));
    } catch (error) {
      if (!this.failing) {
        const problem = error instanceof Error ? error.message : String(error);
        this.logger.warn(
          metricsMessages.queueGaugesUnavailable(storeName(this.backend.kind), problem),
        );
      }
      this.failing = true;
      return [];
    }
  }
}
