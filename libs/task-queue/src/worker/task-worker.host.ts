import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { BackendHealth, storeName } from '../observability/backend-health.js';
import { TaskRegistry } from '../discovery/task.registry.js';
import { TaskQueueMetrics } from '../observability/task-queue.metrics.js';
import { TaskTracing } from '../observability/task-queue.tracing.js';
import { TaskQueues } from '../producer/task-queues.service.js';
import { TaskScheduler } from '../scheduling/task-scheduler.service.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { MAX_STALLED_COUNT, SHUTDOWN_REASON, TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { workerMessages } from './worker.messages.js';
import { ActiveRuns } from './active-runs.js';
import {
  RunControl,
  type ConsumerSettings,
  type QueueConsumer,
  type QueuePauses,
} from './run-control.js';
import { RunContexts } from './run-contexts.js';
import { taskProcessor } from './task-processor.js';
import { StartGate } from './start-gate.js';
import { RunLog } from './task-run.observer.js';

/**
 * How long past the grace period a graceful close may still take, in ms, before the workers are
 * closed by force: a backend that died a moment ago can leave BullMQ waiting for replies forever.
 */
const FORCE_CLOSE_AFTER_GRACE_MS = 2000;

/** How long the backend gets to answer when shutting down, in ms. */
const BACKEND_CHECK_MS = 1000;

/**
 * @internal Owns this process's workers: one consumer per queue it works on, dispatching by job
 * name. Started once the application has bootstrapped; closed (active jobs finish first)
 * before the queues and connections shut down.
 */
@Injectable()
export class TaskWorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TaskWorker');
  private readonly workers = new Map<string, QueueConsumer>();
  /** The `ctx.rateLimit()` pauses of each queue worked on here. */
  private readonly pauses: QueuePauses[] = [];
  /** The jobs running here, to cancel on abort or when the grace period runs out. */
  private readonly active = new ActiveRuns();
  private stopping = false;
  /** Wakes the workers waiting for the backend to start them, to give up on shutdown. */
  private readonly wakes = new Set<() => void>();

  constructor(
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
    private readonly registry: TaskRegistry,
    private readonly taskQueues: TaskQueues,
    private readonly scheduler: TaskScheduler,
    private readonly metrics: TaskQueueMetrics,
    private readonly backend: BackendHealth,
    private readonly tracing: TaskTracing,
    private readonly control: RunControl,
    private readonly contexts: RunContexts,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workerQueues.length === 0) return;
    for (const name of this.config.workerQueues) {
      const tasks = this.registry.tasksOn(name);
      const queue = this.taskQueues.get(name);
      const limits = this.config.limits.get(name);
      const pause = this.control.pauses(name, limits?.rateLimit !== undefined, (error, retryMs) =>
        this.logger.error(workerMessages.pauseNotReleased(name, error.message, retryMs / 1000)),
      );
      this.pauses.push(pause);
      const { active, logger, tracing } = this;
      const concurrency = this.config.queues.get(name);
      const prefetch = this.config.prefetch.get(name) ?? 0;
      const gate = prefetch > 0 ? new StartGate(name, concurrency ?? 1) : undefined;
      if (gate) active.gate(name, gate);
      const processor = taskProcessor(name, tasks, queue, active, logger, {
        tracing,
        gate,
        rateLimit: (ms) => {
          // The jobs claimed ahead here would start while every other process holds back.
          gate?.pauseFor(ms);
          return pause.pause(ms);
        },
        context: this.contexts,
        maxStepBytes: this.config.maxPayloadBytes,
        waiters: this.taskQueues.waiters,
      });
      const settings: ConsumerSettings = {
        concurrency,
        prefetch,
        rateLimit: limits?.rateLimit,
        maxStalledCount: MAX_STALLED_COUNT,
        retryDelayMs: (task, retry) => tasks.get(task)?.retryDelayMs(retry) ?? 0,
        logger,
        listener: new RunLog(name, {
          logger,
          metrics: this.metrics,
          logPayloads: this.config.logPayloads,
          jobLog: this.config.jobLog,
        }),
      };
      const makeWorker = () => {
        const worker = this.control.consumer(name, processor, settings);
        this.workers.set(name, worker);
        return worker;
      };
      // Take jobs once connected: a worker started against an unreachable Redis sits in
      // BullMQ's retry delays, which outlive close() by up to 15 s. And only once this
      // process's schedules are reconciled, so no job of a schedule it replaces runs here.
      void this.start(makeWorker, (worker) =>
        Promise.all([
          worker.waitUntilReady(),
          this.scheduler.whenSettled(),
          this.control.applyGlobalConcurrency(name, limits?.globalConcurrency),
          pause.release(),
        ]),
      );
    }
    this.listenForAborts();
  }

  /**
   * Stops taking jobs and lets active ones finish within the grace period; past it, their
   * signals abort and they go back on their queue, to run again in the next worker.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const wake of [...this.wakes]) wake();
    for (const pause of this.pauses.splice(0)) pause.close();
    const workers = [...this.workers.values()];
    this.workers.clear();
    const graceMs = this.config.shutdownGracePeriod * 1000;
    let wentBack = 0;
    const graceRunsOut = setTimeout(() => {
      wentBack = this.active.cancelAll(SHUTDOWN_REASON);
    }, graceMs);
    // Without the backend nothing graceful can happen (no job can be marked finished), and
    // BullMQ's graceful close would wait for it forever: close at once, as after a crash.
    const graceful = workers.length > 0 && (await this.backend.ping(BACKEND_CHECK_MS)).reachable;
    const store = storeName(this.backend.kind);
    if (!graceful && workers.length > 0) {
      this.logger.warn(workerMessages.workersClosedWithoutBackend(store));
    }
    let forced = false;
    let force: NodeJS.Timeout | undefined;
    // Jobs claimed ahead have not started: back to their queue at once, for other workers. In
    // the same turn as the workers' close, which stops them claiming the jobs again.
    this.active.closeGates(SHUTDOWN_REASON);
    const closed = Promise.all(
      workers.map((worker) =>
        worker.close(!graceful).catch((error: Error) => {
          if (!forced) this.logger.error(`Worker '${worker.name}' close: ${error.message}`);
        }),
      ),
    );
    // A graceful close already under way cannot be turned into a forced one (BullMQ returns
    // the pending close): stop waiting for it and cut the connections it waits on instead.
    const forceClose = new Promise<void>((resolve) => {
      force = setTimeout(() => {
        forced = true;
        this.logger.warn(
          workerMessages.forcedWorkerClose(store, graceMs + FORCE_CLOSE_AFTER_GRACE_MS),
        );
        for (const worker of workers) worker.disconnect().catch(() => undefined);
        this.control.disconnectAll();
        resolve();
      }, graceMs + FORCE_CLOSE_AFTER_GRACE_MS);
    });
    await Promise.race([closed, forceClose]);
    clearTimeout(graceRunsOut);
    clearTimeout(force);
    // Without the backend, the warnings above said where the active jobs go.
    if (graceful && !forced) {
      this.logger.log(workerMessages.workersStopped(wentBack, this.config.shutdownGracePeriod));
    }
  }

  /**
   * Makes a worker and runs it once `ready` resolves. When that fails (the backend could not be
   * reached: this process booted while it was down), a new worker is made and tried each time
   * the backend answers again, for as long as the process runs: a consumer whose first
   * connect failed stays failed.
   */
  private async start(
    makeWorker: () => QueueConsumer,
    ready: (worker: QueueConsumer) => Promise<unknown>,
  ): Promise<void> {
    let worker = makeWorker();
    for (;;) {
      try {
        await ready(worker);
        break;
      } catch (error) {
        if (this.stopping) return;
        this.backend.reportError(`Worker '${worker.name}'`, error as Error);
        await worker.close(true).catch(() => undefined);
        await this.untilReachable();
        if (this.stopping) return;
        worker = makeWorker();
      }
    }
    await worker.run().catch((error: Error) => {
      if (!this.stopping) this.logger.error(`Worker '${worker.name}' stopped: ${error.message}`);
    });
  }

  /** Resolves once the backend answers, or at shutdown. */
  private untilReachable(): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        stop();
        this.wakes.delete(wake);
        resolve();
      };
      const stop = this.backend.onceReachable(wake);
      this.wakes.add(wake);
    });
  }

  /** Cancels active jobs that another process asked to abort. */
  private listenForAborts(): void {
    const onAbort = (queue: string, jobId: string) => {
      if (this.workers.has(queue)) this.active.abort(queue, jobId);
    };
    this.control.subscribeAborts(this.config.workerQueues, onAbort).catch((error: Error) => {
      if (!this.stopping) this.logger.error(`Abort requests not received: ${error.message}`);
    });
  }
}
