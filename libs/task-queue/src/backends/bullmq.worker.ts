import { limiterOf } from '../options/queue-settings.js';
import { ScheduleOverlap } from '../scheduling/schedule-overlap.js';
import { otherTickActiveOn } from './bullmq.schedules.js';
import { BACKOFF_TYPE } from '../task-queue.constants.js';
import {
  RunControl,
  type ConsumerSettings,
  type QueueConsumer,
  type QueuePauses,
} from '../worker/run-control.js';
import type { RunProcessor } from '../worker/runnable-job.js';
import { BullEventWaiters } from './bullmq.event-waiters.js';
import { QueuePause } from './bullmq.queue-pause.js';
import { bullProcessor, reportRuns, type RunFailures } from './bullmq.run-job.js';
import type { QueueBackend, WorkerSettings } from './queue-backend.js';

/**
 * @internal The run side of a backend in BullMQ: a queue's consumer is a BullMQ `Worker` (made
 * and tracked by the backend, which closes what is left at shutdown), the queue-wide settings
 * live in the queue's metadata, and abort requests travel on the backend's own channel.
 */
export class BullRunControl extends RunControl {
  /** The index of the jobs waiting for events, where an aborted job's waiters are taken. */
  private readonly waiters: BullEventWaiters;

  constructor(private readonly backend: QueueBackend) {
    super();
    this.waiters = new BullEventWaiters(backend);
  }

  consumer(name: string, processor: RunProcessor, settings: ConsumerSettings): QueueConsumer {
    const { concurrency, prefetch, rateLimit, maxStalledCount, retryDelayMs, logger, listener } =
      settings;
    const queue = this.backend.queue(name, 'worker');
    const overlap = new ScheduleOverlap(name, otherTickActiveOn(queue), logger);
    const workerSettings: WorkerSettings = {
      // BullMQ's worker holds its jobs claimed ahead as active ones (their locks kept alive);
      // the processor starts `concurrency` of them at once.
      concurrency: prefetch > 0 ? (concurrency ?? 1) + prefetch : concurrency,
      limiter: rateLimit && limiterOf(rateLimit),
      autorun: false,
      maxStalledCount,
      settings: {
        backoffStrategy: (attemptsMade, type, _error, job) =>
          type === BACKOFF_TYPE && job ? retryDelayMs(job.name, attemptsMade) : 0,
      },
    };
    const failures: RunFailures = new WeakMap();
    const worker = this.backend.worker(
      name,
      bullProcessor(processor, overlap, failures, queue, listener, this.waiters),
      workerSettings,
    );
    reportRuns(worker, listener, failures);
    return worker;
  }

  /**
   * BullMQ keeps the global concurrency in the queue's metadata in the backend, where every
   * worker of every process reads it; the options of the processes that run the queue hold.
   */
  async applyGlobalConcurrency(name: string, limit: number | undefined): Promise<void> {
    const queue = this.backend.queue(name, 'worker');
    if (limit === undefined) await queue.removeGlobalConcurrency();
    else await queue.setGlobalConcurrency(limit);
  }

  pauses(
    name: string,
    limited: boolean,
    onError: (error: Error, retryMs: number) => void,
  ): QueuePauses {
    return new QueuePause(this.backend.queue(name, 'worker'), limited, onError);
  }

  subscribeAborts(
    queues: readonly string[],
    onAbort: (queue: string, id: string) => void,
  ): Promise<void> {
    return this.backend.subscribeAborts(queues, onAbort);
  }

  disconnectAll(): void {
    this.backend.disconnectWorkers();
  }
}
