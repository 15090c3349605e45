import type { LoggerService } from '@nestjs/common';
import type { QueueRateLimit } from '../interfaces/task-queue-options.interface.js';
import type { RunFailure, RunOutcome } from './run-outcome.js';
import type { RunnableJob, RunProcessor } from './runnable-job.js';

/**
 * @internal Told of each run of a consumer once the backend has recorded how it ended (a run
 * put back on its queue is not told): the job log and the metrics.
 */
export interface RunListener {
  /**
   * @param outcome as the processor classified it (`failure.outcome` for a run that failed).
   * @param attempt the run's attempt, from 1.
   * @param durationMs how long the run took, by the backend's clock.
   */
  ended(
    job: Pick<RunnableJob, 'id' | 'name' | 'data'>,
    outcome: RunOutcome,
    attempt: number,
    durationMs: number,
    failure: RunFailure | undefined,
  ): void;
}

/** @internal One queue's consumer in this process: takes its jobs and runs them. */
export interface QueueConsumer {
  readonly name: string;
  /** Resolves once connected to the backend; rejects when it cannot be reached. */
  waitUntilReady(): Promise<unknown>;
  /** Takes jobs until closed. */
  run(): Promise<void>;
  /** Stops taking jobs; `force`: without waiting for the active ones. */
  close(force?: boolean): Promise<void>;
  /** Cuts its connections at once. */
  disconnect(): Promise<void>;
}

/** @internal How a queue's consumer runs its jobs. */
export interface ConsumerSettings {
  /** Jobs run at once by this consumer. */
  concurrency: number | undefined;
  /** Jobs it claims ahead of its free slots, which wait for one in the processor. */
  prefetch: number;
  /** The queue's rate limit, honoured by every consumer of the queue. */
  rateLimit: QueueRateLimit | undefined;
  /** How many times a job whose worker vanished is taken again before it fails. */
  maxStalledCount: number;
  /** The delay before retry `retry` (from 1) of a run of task `task` that failed, in ms. */
  retryDelayMs: (task: string, retry: number) => number;
  /** Where a skipped tick of an `overlap: false` schedule is reported. */
  logger: LoggerService;
  /** Told of each run that ended. */
  listener: RunListener;
}

/** @internal The `ctx.rateLimit()` pauses of one queue, in every process. */
export interface QueuePauses {
  /** Pauses the queue for `ms` in every process. */
  pause(ms: number): Promise<void>;
  /** Lifts what a pause left once it is over (also one left by a process that stopped). */
  release(): Promise<void>;
  /** Stops watching; a pause still on is released by the next consumer to start. */
  close(): void;
}

/**
 * @internal The run side of a backend, for the worker host: consumers of queues, the queue-wide
 * settings they run under, and the channel over which any process asks for a job to abort.
 */
export abstract class RunControl {
  /** A consumer for queue `name` that runs each job with `processor`; not started yet. */
  abstract consumer(
    name: string,
    processor: RunProcessor,
    settings: ConsumerSettings,
  ): QueueConsumer;

  /** Writes the queue's global concurrency for every process, or removes it (`undefined`). */
  abstract applyGlobalConcurrency(name: string, limit: number | undefined): Promise<void>;

  /**
   * The pauses of queue `name`; `limited`: its consumers have a rate limit of their own.
   * `onError` hears of a release that failed, tried again `retryMs` later.
   */
  abstract pauses(
    name: string,
    limited: boolean,
    onError: (error: Error, retryMs: number) => void,
  ): QueuePauses;

  /** Calls `onAbort` for each abort request on `queues`, from any process, until closed. */
  abstract subscribeAborts(
    queues: readonly string[],
    onAbort: (queue: string, id: string) => void,
  ): Promise<void>;

  /** Cuts the connections of every consumer at once (a graceful close did not end in time). */
  abstract disconnectAll(): void;
}
