import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  ConnectionClosedError,
  Job,
  type FlowProducer,
  type Processor,
  type Queue,
  type QueueEvents,
  type Worker,
  type WorkerOptions,
} from 'bullmq';
import { BackendOutage } from './backend-outage.js';
import type { FinishedJob } from './bullmq.outcomes.js';
import type { BackendKind, Reachability } from '../observability/backend-health.js';
import { InvalidOptionsError } from '../errors/index.js';
import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import { transactionMessages } from '../transactions/transaction.messages.js';

/** Who a BullMQ queue object serves: enqueueing fails fast, the rest waits for reconnects. */
export type QueueRole = 'producer' | 'worker';

/** Worker options the backend fills in itself (its connection and namespace). */
export type WorkerSettings = Omit<WorkerOptions, 'connection' | 'prefix'>;

/**
 * @internal The one owner of every connection and BullMQ object of an application, for one
 * backend. Services ask it for queues, workers and event streams; it makes them on first use
 * and closes them all, in one order, when the application shuts down: event streams, queues,
 * workers (normally closed gracefully by the worker host before), then the connections.
 */
export abstract class QueueBackend implements OnApplicationShutdown {
  abstract readonly kind: BackendKind;
  /**
   * How often a wait for a job's outcome also reads the job's state, in ms; `undefined` when
   * the backend's event stream never misses an event.
   */
  readonly eventPollMs: number | undefined = undefined;
  protected readonly logger = new Logger('TaskQueue');
  /** Where every connection error of this backend goes: one line per outage, not per retry. */
  readonly outage: BackendOutage;

  private readonly queues = new Map<string, Queue>();
  private readonly events = new Map<string, Promise<QueueEvents>>();
  private readonly workers: Worker[] = [];
  private flows?: FlowProducer;
  private closed = false;
  private readonly closing = new Set<() => void>();

  /** @param where the backend and where it is, without a password, for log lines. */
  constructor(where: string) {
    this.outage = new BackendOutage(this.logger, where);
  }

  /** The BullMQ queue `name` for `role`, made on first use. */
  queue(name: string, role: QueueRole = 'producer'): Queue {
    const key = `${role}:${name}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = this.makeQueue(name, role);
      queue.on('error', (error) => this.reportError(`Queue '${name}'`, error));
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** The queue's event stream, opened on first use and ready to deliver. */
  queueEvents(name: string): Promise<QueueEvents> {
    let events = this.events.get(name);
    if (!events) {
      events = this.openEvents(name);
      this.events.set(name, events);
      // A stream that failed to open is opened again by the next caller.
      events.catch(() => this.events.get(name) === events && this.events.delete(name));
    }
    return events;
  }

  private async openEvents(name: string): Promise<QueueEvents> {
    const events = this.makeQueueEvents(name);
    events.on('error', (error) => this.reportError(`Queue events '${name}'`, error));
    await events.waitUntilReady();
    return events;
  }

  /** The producer of flows (jobs with children, on any queue), made on first use. */
  flowProducer(): FlowProducer {
    if (!this.flows) {
      this.flows = this.makeFlowProducer();
      this.flows.on('error', (error) => this.reportError('Flow producer', error));
    }
    return this.flows;
  }

  /**
   * Which of jobs `ids` of queue `name` have finished, with their outcome, read in one go
   * (here through BullMQ's per-job reads, sent together; a backend may read them at once).
   */
  async finishedJobs(name: string, ids: string[]): Promise<FinishedJob[]> {
    const queue = this.queue(name);
    const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
    const done = ids.flatMap((id, index) =>
      states[index] === 'completed' || states[index] === 'failed'
        ? [{ id, failed: states[index] === 'failed' }]
        : [],
    );
    const jobs = await Promise.all(done.map(({ id }) => Job.fromId(queue, id)));
    return done.flatMap(({ id, failed }, index): FinishedJob[] => {
      const job = jobs[index];
      if (!job) return [];
      if (failed) return [{ id, failed, reason: job.failedReason }];
      return [{ id, failed, value: job.returnvalue as unknown }];
    });
  }

  /** A worker for queue `name`; the caller runs it and closes it, the backend only tracks it. */
  worker(name: string, processor: Processor, settings: WorkerSettings): Worker {
    const worker = this.makeWorker(name, processor, settings);
    worker.on('error', (error) => this.reportError(`Worker '${name}'`, error));
    this.workers.push(worker);
    return worker;
  }

  /**
   * Reports an error event of a BullMQ object or connection: one that says the backend is out
   * of reach goes to the outage, any other is logged as it comes. Nothing once closing.
   */
  reportError(source: string, error: Error): void {
    if (this.closed) return;
    if (this.isConnectionError(error)) this.outage.failed(source, error);
    else this.logger.error(`${source}: ${error.message}`);
  }

  /**
   * Whether an error says the backend is out of reach (a socket error, a connection BullMQ
   * found closed), rather than something about one command.
   */
  protected isConnectionError(error: Error): boolean {
    const { code, syscall } = error as { code?: unknown; syscall?: unknown };
    return (
      error instanceof ConnectionClosedError ||
      (typeof code === 'string' && typeof syscall === 'string')
    );
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Workers connected to queue `name`, in any process. */
  workersCount(name: string): Promise<number> {
    return this.queue(name).getWorkersCount();
  }

  /**
   * Calls `listener` once, when the backend begins to close (before any of its objects is
   * closed); returns a function to stop that.
   */
  onClosing(listener: () => void): () => void {
    this.closing.add(listener);
    return () => this.closing.delete(listener);
  }

  /** Closes every BullMQ object made here, then the connections. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listeners = [...this.closing];
    this.closing.clear();
    for (const listener of listeners) listener();
    const events = [...this.events.values()];
    this.events.clear();
    await Promise.all(events.map(async (open) => (await open.catch(() => undefined))?.close()));
    await this.flows?.close().catch(() => undefined);
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((queue) => queue.close().catch(() => undefined)));
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((worker) => worker.close(true).catch(() => undefined)));
    await this.closeConnections();
  }

  /** Runs the backend's schema migrations, if it has any: the schema and its version now. */
  async migrate(): Promise<{ schema?: string; version?: number }> {
    return {};
  }

  /**
   * Whether the backend still holds what it held when {@link markKept} last ran: `false` once
   * it lost its data (a Redis restarted empty, or flushed). A server that keeps its data over a
   * restart (PostgreSQL) always holds it.
   */
  async stillKept(): Promise<boolean> {
    return true;
  }

  /** Marks the backend's data, for {@link stillKept} to find. */
  async markKept(): Promise<void> {}

  /**
   * Runs `add` (a BullMQ add of queue `queue`: one job, a batch or a flow) so that what it
   * writes goes through the caller's open `transaction`. A backend that cannot rejects with
   * `InvalidOptionsError` saying what to configure; so does one given a transaction that is not
   * open or not on its database, before anything is written.
   */
  throughTransaction<T>(
    _transaction: TaskTransaction,
    queue: string,
    _add: () => Promise<T>,
  ): Promise<T> {
    return Promise.reject(new InvalidOptionsError(transactionMessages.redisNeedsOutbox(queue)));
  }

  /** Whether the backend was reachable at its last use: lets the hot path skip a check. */
  abstract isReady(): boolean;

  /** Resolves `true` once the backend answers, or `false` after `timeoutMs`. */
  abstract whenReady(timeoutMs: number): Promise<boolean>;

  /** Whether the backend answers a trivial query within `timeoutMs`; never throws. */
  abstract ping(timeoutMs: number): Promise<Reachability>;

  /** The error of an enqueue on `queue` that found the backend unreachable for `waitedMs`. */
  abstract unavailable(queue: string, waitedMs: number): Error;

  /**
   * The outage error that explains a failed command, or `undefined` if the backend is fine and
   * the error is the command's own.
   */
  abstract outageOf(error: unknown, queue: string): Promise<Error | undefined>;

  /**
   * Marks an unfinished job aborted: the next worker to take it fails it without running it.
   * @returns 1 marked, 0 already finished, -1 no such job.
   */
  abstract markAborted(queue: string, id: string, reason: string): Promise<-1 | 0 | 1>;

  /** Tells every process that runs queue `queue` to cancel job `id` if it is running it. */
  abstract publishAbort(queue: string, id: string): Promise<void>;

  /** Calls `onAbort` for each abort request on `queues`, from any process, until closed. */
  abstract subscribeAborts(
    queues: readonly string[],
    onAbort: (queue: string, id: string) => void,
  ): Promise<void>;

  /**
   * Runs `work` holding the lock `name`, shared by every process on this backend, waiting
   * while another holds it. Returns `undefined` without running `work` once `cancelled()`.
   */
  abstract withLock<T>(
    name: string,
    work: () => Promise<T>,
    cancelled: () => boolean,
  ): Promise<T | undefined>;

  /** Adds (or replaces) `field` with `body` in the index of the waiters of event `event`. */
  abstract addWaiter(event: string, field: string, body: string): Promise<void>;

  /** Removes `field` from the index of `event`: `true` for the one call that removed it. */
  abstract takeWaiter(event: string, field: string): Promise<boolean>;

  /** The bodies of the waiters of event `event`. */
  abstract listWaiters(event: string): Promise<string[]>;

  /** Calls `listener` once the backend is reachable again; returns a function to stop that. */
  abstract onceReachable(listener: () => void): () => void;

  /** Cuts the workers' connections at once (a graceful close did not end in time). */
  abstract disconnectWorkers(): void;

  protected abstract makeQueue(name: string, role: QueueRole): Queue;
  protected abstract makeQueueEvents(name: string): QueueEvents;
  protected abstract makeFlowProducer(): FlowProducer;
  protected abstract makeWorker(
    name: string,
    processor: Processor,
    settings: WorkerSettings,
  ): Worker;
  protected abstract closeConnections(): Promise<void>;
}
