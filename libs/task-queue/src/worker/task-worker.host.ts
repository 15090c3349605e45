import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { UnrecoverableError, WaitingError, type Job, type Processor, type Worker } from 'bullmq';
import { NonRetryableError, TaskAbortedError, TaskTimeoutError } from '../errors/index.js';
import { QueueBackend } from '../backends/queue-backend.js';
import type { TaskJobOptions } from '../producer/enqueue-options.js';
import { TaskRun, WorkerShutdownError } from './task-execution.js';
import type { TaskInvocation } from '../per-job/task-invocation.js';
import { validateWithSchema } from '../producer/task-schema.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import {
  ABORTED_REASON,
  BACKOFF_TYPE,
  MAX_STALLED_COUNT,
  SHUTDOWN_REASON,
  TASK_QUEUE_CONFIG,
} from '../task-queue.constants.js';
import { messages } from '../task-queue.messages.js';
import type { TaskQueue } from '../producer/task-queue.js';
import { TaskQueueMetrics } from '../observability/task-queue.metrics.js';
import { TaskQueues } from '../producer/task-queues.service.js';
import { TaskScheduler } from '../scheduling/task-scheduler.service.js';
import { observeRuns } from './task-run.observer.js';
import { TaskRegistry, type BoundTask } from '../discovery/task.registry.js';
import { storeName } from '../backends/store-name.js';

/** How long an abort request for a job this process has not started yet is remembered. */
const PENDING_ABORT_MS = 60_000;

/**
 * How long past the grace period a graceful close may still take, in ms, before the workers are
 * closed by force: a backend that died a moment ago can leave BullMQ waiting for replies forever.
 */
const FORCE_CLOSE_AFTER_GRACE_MS = 2000;

/** How long the backend gets to answer when shutting down, in ms. */
const BACKEND_CHECK_MS = 1000;

/**
 * @internal Owns this process's BullMQ workers: one per queue it works on, dispatching by job
 * name. Started once the application has bootstrapped; closed (active jobs finish first)
 * before the queues and connections shut down.
 */
@Injectable()
export class TaskWorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TaskWorker');
  private readonly workers = new Map<string, Worker>();
  /** Cancels of the jobs running here, by queue and job id. */
  private readonly runs = new Map<string, Map<string, TaskRun>>();
  /** Abort requests that arrived just before their job started here. */
  private readonly pendingAborts = new Map<string, number>();
  private stopping = false;

  constructor(
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
    private readonly registry: TaskRegistry,
    private readonly taskQueues: TaskQueues,
    private readonly scheduler: TaskScheduler,
    private readonly metrics: TaskQueueMetrics,
    private readonly backend: QueueBackend,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workerQueues.length === 0) return;
    for (const name of this.config.workerQueues) {
      const tasks = this.registry.tasksOn(name);
      const runs = new Map<string, TaskRun>();
      this.runs.set(name, runs);
      const processor = this.processor(name, tasks, this.taskQueues.get(name), runs);
      const worker = this.backend.worker(name, processor, {
        concurrency: this.config.queues.get(name),
        autorun: false,
        maxStalledCount: MAX_STALLED_COUNT,
        settings: {
          backoffStrategy: (attemptsMade, type, _error, job) =>
            type === BACKOFF_TYPE && job
              ? (tasks.get(job.name)?.retryDelayMs(attemptsMade) ?? 0)
              : 0,
        },
      });
      worker.on('error', (error) => this.logger.error(`Worker '${name}': ${error.message}`));
      observeRuns(worker, name, {
        logger: this.logger,
        metrics: this.metrics,
        logPayloads: this.config.logPayloads,
      });
      this.workers.set(name, worker);
      // Take jobs once connected: a worker started against an unreachable Redis sits in
      // BullMQ's retry delays, which outlive close() by up to 15 s. And only once this
      // process's schedules are reconciled, so no job of a schedule it replaces runs here.
      Promise.all([worker.waitUntilReady(), this.scheduler.whenSettled()])
        .then(() => (this.stopping ? undefined : worker.run()))
        .catch((error: Error) => {
          if (!this.stopping) this.logger.error(`Worker '${name}' stopped: ${error.message}`);
        });
    }
    this.listenForAborts();
  }

  /**
   * Stops taking jobs and lets active ones finish within the grace period; past it, their
   * signals abort and they go back on their queue, to run again in the next worker.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const workers = [...this.workers.values()];
    this.workers.clear();
    const graceMs = this.config.shutdownGracePeriod * 1000;
    const graceRunsOut = setTimeout(() => {
      for (const runs of this.runs.values())
        for (const run of runs.values()) run.cancel(SHUTDOWN_REASON);
    }, graceMs);
    // Without the backend nothing graceful can happen (no job can be marked finished), and
    // BullMQ's graceful close would wait for it forever: close at once, as after a crash.
    const graceful = workers.length > 0 && (await this.backend.ping(BACKEND_CHECK_MS)).reachable;
    const store = storeName(this.backend.kind);
    if (!graceful && workers.length > 0) {
      this.logger.warn(messages.workersClosedWithoutBackend(store));
    }
    let forced = false;
    let force: NodeJS.Timeout | undefined;
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
        this.logger.warn(messages.forcedWorkerClose(store, graceMs + FORCE_CLOSE_AFTER_GRACE_MS));
        for (const worker of workers) worker.disconnect().catch(() => undefined);
        this.backend.disconnectWorkers();
        resolve();
      }, graceMs + FORCE_CLOSE_AFTER_GRACE_MS);
    });
    await Promise.race([closed, forceClose]);
    clearTimeout(graceRunsOut);
    clearTimeout(force);
  }

  /** Cancels active jobs that another process asked to abort. */
  private listenForAborts(): void {
    const onAbort = (queue: string, jobId: string) => {
      if (!this.workers.has(queue)) return;
      const run = this.runs.get(queue)?.get(jobId);
      if (run) run.cancel(ABORTED_REASON);
      else this.pendingAborts.set(jobId, Date.now() + PENDING_ABORT_MS);
    };
    this.backend.subscribeAborts(this.config.workerQueues, onAbort).catch((error: Error) => {
      if (!this.stopping) this.logger.error(`Abort requests not received: ${error.message}`);
    });
  }

  private takePendingAbort(jobId: string): boolean {
    if (this.pendingAborts.size === 0) return false;
    const now = Date.now();
    for (const [id, expires] of this.pendingAborts)
      if (expires < now) this.pendingAborts.delete(id);
    return this.pendingAborts.delete(jobId);
  }

  /**
   * The processor of one queue. It takes two parameters, not BullMQ's optional third (the
   * job's AbortSignal): BullMQ then makes no AbortController per job. Cancellation goes
   * through `runs` instead, which `cancelJob` would have reached only in this process too.
   * It runs for every job: what can be decided once per task was decided at bootstrap.
   */
  private processor(
    queueName: string,
    tasks: ReadonlyMap<string, BoundTask>,
    queue: TaskQueue,
    runs: Map<string, TaskRun>,
  ): Processor {
    return (job: Job, token?: string) => {
      const task = tasks.get(job.name);
      if (!task) throw new UnrecoverableError(messages.unknownTaskInWorker(job.name, queueName));
      const id = job.id!;
      if (this.pendingAborts.size > 0 && this.takePendingAbort(id)) {
        throw new UnrecoverableError(ABORTED_REASON);
      }
      const data = (job.data ?? {}) as object;
      const payload = task.kwargs ? { ...task.kwargs, ...data } : data;
      // Registered before payload checks and per-job DI: a cancellation then stops the run
      // before the body starts.
      const run = new TaskRun(job, queue, payload, this.logger);
      runs.set(id, run);
      let prepared: ReturnType<BoundTask['invoke']> | undefined;
      try {
        prepared = task.schema ? undefined : task.invoke(job);
      } catch (error) {
        // A per-job provider's constructor threw: the job fails with its error.
        runs.delete(id);
        return failed(job, token, task, error);
      }
      if (prepared && !(prepared instanceof Promise) && !prepared.hooked) {
        // The usual task: nothing to wait for before the body, no hooks after it.
        return run.execute(prepared.call, timeoutOf(job, task)).then(
          (result) => {
            runs.delete(id);
            return result === undefined ? null : result;
          },
          (error: unknown) => {
            runs.delete(id);
            return failed(job, token, task, error);
          },
        );
      }
      return this.runChecked(job, token, task, run, prepared).finally(() => runs.delete(id));
    };
  }

  /** A run with a schema to check, per-job providers to make, or hooks to call. */
  private async runChecked(
    job: Job,
    token: string | undefined,
    task: BoundTask,
    run: TaskRun,
    prepared: ReturnType<BoundTask['invoke']> | undefined,
  ): Promise<unknown> {
    let invocation: TaskInvocation | undefined;
    let settling = false;
    try {
      if (task.schema) {
        const checked = await validateWithSchema(task.schema, run.payload);
        if ('problem' in checked) {
          throw new UnrecoverableError(messages.invalidPayloadBySchema(job.name, checked.problem));
        }
        run.payload = checked.value as object;
      }
      invocation = await (prepared ?? task.invoke(job));
      const result = await run.execute(invocation.call, timeoutOf(job, task));
      settling = true;
      if (invocation.hooked) await invocation.succeed(result, run);
      return result === undefined ? null : result;
    } catch (error) {
      if (!settling && invocation?.hooked) await invocation.fail(error, run);
      return failed(job, token, task, error);
    }
  }
}

/** The job's own timeout (set at enqueue), else its task's, in ms. */
const timeoutOf = (job: Job, task: BoundTask): number =>
  (job.opts as TaskJobOptions).taskTimeout ?? task.timeoutMs;

/** Ends a run that did not succeed: back to the queue after a shutdown, else BullMQ's failure. */
async function failed(
  job: Job,
  token: string | undefined,
  task: BoundTask,
  error: unknown,
): Promise<never> {
  if (error instanceof WorkerShutdownError) {
    // Back to the queue without using up an attempt; WaitingError tells BullMQ it moved.
    await job.moveToWait(token);
    throw new WaitingError();
  }
  throw failureOf(error, task);
}

/** What BullMQ is given for a failed run: the throw drives retries, so keep it faithful. */
function failureOf(error: unknown, task: BoundTask): Error {
  if (error instanceof TaskAbortedError) return new UnrecoverableError(ABORTED_REASON);
  if (error instanceof NonRetryableError) return new UnrecoverableError(error.message);
  if (error instanceof TaskTimeoutError && !task.retryOnTimeout) {
    return new UnrecoverableError(error.message);
  }
  // BullMQ records only an Error's message; keep the text of anything else thrown.
  return error instanceof Error ? error : new Error(messages.nonErrorThrown(error));
}
