import {
  InvalidOptionsError,
  TaskAbortedError,
  TaskRateLimitedError,
  TaskTimeoutError,
} from '../errors/index.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import type { TaskContext } from '../interfaces/task-context.interface.js';
import type { TaskQueue } from '../producer/task-queue.js';
import { durableMessages } from '../durable/durable.messages.js';
import { RunSuspension } from '../durable/run-suspension.js';
import { StepJournal, type StepSpans, type WaitForEventOptions } from '../durable/step-journal.js';
import type { EventWaiters } from '../producer/event-waiters.js';
import {
  ABORTED_REASON,
  DEFAULT_MAX_PAYLOAD_BYTES,
  SHUTDOWN_REASON,
} from '../task-queue.constants.js';
import { workerMessages } from './worker.messages.js';
import type { RunnableJob } from './runnable-job.js';
import { RunContext } from './task-run.context.js';
import { deadlines, type TimedRun } from './task-run.deadlines.js';

/** The reason a task sees for the cancellation of its job. */
function reasonFor(cancellation: unknown): unknown {
  if (cancellation === ABORTED_REASON) return new TaskAbortedError(ABORTED_REASON);
  if (cancellation === SHUTDOWN_REASON) return new WorkerShutdownError(SHUTDOWN_REASON);
  return cancellation;
}

const textOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** @internal The parts of a job a run reads (`ctx.childResults()` the optional one). */
export type RunJob = Pick<RunnableJob, 'id' | 'name' | 'attemptsMade' | 'updateProgress'> &
  Partial<Pick<RunnableJob, 'childResults' | 'steps'>>;

/** @internal What a run may use besides its job: where each is absent, it is not needed. */
export interface RunExtras {
  /** Pauses the queue; absent in memory (the testing module), where a pause holds nothing back. */
  limiter?: QueueRateLimiter;
  /** Bytes of JSON a job's step results may take together (the module's `maxPayloadBytes`). */
  maxStepBytes?: number;
  /** The time sleeps are read by, in ms since the epoch; default `Date.now` (memory: its own). */
  clock?: () => number;
  /** Where waits for events are indexed (`ctx.waitForEvent`). */
  waiters?: EventWaiters;
  /** Spans of the steps (`ctx.step`), with tracing. */
  spans?: StepSpans;
  /**
   * Whether a run that ends with `reason` fails its job for good (no retry, no resume); default:
   * only an abort does.
   */
  endsForGood?: (reason: unknown) => boolean;
}

/** @internal Pauses a run's queue in every process for `ms`. */
export type QueueRateLimiter = (ms: number) => Promise<void>;

/**
 * @internal What `ctx.rateLimit(seconds)` of the run `label` ends with.
 * @throws InvalidOptionsError unless `seconds` is a positive number.
 */
export function rateLimitedError(label: string, seconds: unknown): TaskRateLimitedError {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidOptionsError(workerMessages.invalidRateLimit(label, seconds));
  }
  return new TaskRateLimitedError(workerMessages.rateLimited(label, seconds), seconds);
}

/** @internal Where a run reports what it cannot throw. */
export interface RunReporter {
  warn(message: string): void;
}

/**
 * @internal How a task body is called: with its context and payload. It may return a plain
 * value or throw, as a method that is not `async` does; the run makes an outcome of either.
 */
export type RunBody<T> = (ctx: TaskContext, payload: object) => T | PromiseLike<T>;

/**
 * @internal One run of one job: the limits it runs under, and the context its task sees. The
 * run ends at whichever comes first of the body settling, its timeout, or a cancellation, so
 * the worker slot is freed even when the body ignores its signal; a body still running then is
 * left to finish on its own, and a late rejection is reported, not lost.
 *
 * It is made for every job, so it makes nothing it may not need: the AbortController behind
 * `ctx.signal` (with its listeners, the costliest part; docs/benchmarks.md) exists only for
 * bodies that read it or once the run has ended, `ctx.job` and the run's label are made on
 * first read, and its timeout is a deadline in the process's shared `deadlines`, not a timer of
 * its own.
 */
export class TaskRun<T = unknown> implements TimedRun {
  readonly context: TaskContext;
  private state: 'pending' | 'running' | 'ended' = 'pending';
  private endedBy: unknown;
  private controller?: AbortController;
  /** @internal See {@link TimedRun}. */
  deadline = Infinity;
  /** @internal */
  prevTimed?: TimedRun;
  /** @internal */
  nextTimed?: TimedRun;
  private timeoutMs = 0;
  private fail?: (reason: unknown) => void;
  private running?: Promise<T>;
  private journal?: StepJournal;
  private readonly queueName: string;

  constructor(
    readonly job: RunJob,
    queue: TaskQueue,
    public payload: object,
    private readonly reporter: RunReporter,
    private readonly extras: RunExtras = {},
  ) {
    this.context = new RunContext(this, queue);
    this.queueName = queue.name;
  }

  /**
   * `ctx.rateLimit()`: pauses the queue everywhere, then ends the run with a
   * {@link TaskRateLimitedError}, which sends the job back to its queue.
   */
  async rateLimit(seconds: number): Promise<never> {
    const limited = rateLimitedError(this.label, seconds);
    await this.extras.limiter?.(Math.ceil(seconds * 1000));
    this.stop(limited);
    throw limited;
  }

  /** `ctx.step(id, fn)`: see {@link StepJournal.step}. */
  async step<R>(id: string, fn: () => R | PromiseLike<R>): Promise<R> {
    return this.journalOf().step(id, fn);
  }

  /**
   * `ctx.sleep(seconds)`: see {@link StepJournal.sleep}. A sleep not over yet ends the run
   * (its signal aborts) with the {@link RunSuspension} the body sees.
   */
  async sleep(seconds: number): Promise<void> {
    try {
      await this.journalOf().sleep(seconds);
    } catch (error) {
      if (error instanceof RunSuspension) this.stop(error);
      throw error;
    }
  }

  /**
   * `ctx.waitForEvent(name, options)`: see {@link StepJournal.waitForEvent}. A wait not over yet
   * ends the run (its signal aborts) with the {@link RunSuspension} the body sees.
   */
  async waitForEvent(name: string, options: WaitForEventOptions): Promise<unknown> {
    try {
      return await this.journalOf().waitForEvent(name, options);
    } catch (error) {
      if (!(error instanceof RunSuspension)) throw error;
      const ended = this.endedBy;
      const { endsForGood = (reason) => reason instanceof TaskAbortedError } = this.extras;
      if (ended instanceof Error && endsForGood(ended)) {
        // Ended while its wait was being indexed (aborted, or timed out with no retry left):
        // the job has failed for good and will not resume, so no event may find its waiter.
        await this.journal!.withdraw();
        throw ended;
      }
      this.stop(error);
      throw error;
    }
  }

  /**
   * The run's journal, made on its first durable call. Once the run has suspended its job, a
   * body that swallowed the suspension gets it again: no step may run while the job sleeps;
   * nor once it is aborted (a body that goes on past its signal): the job will not resume.
   */
  private journalOf(): StepJournal {
    const ended = this.endedBy;
    if (ended instanceof RunSuspension || ended instanceof TaskAbortedError) throw ended;
    if (!this.journal) {
      const { steps } = this.job;
      if (!steps) throw new Error(durableMessages.noStepStore(this.label));
      const { maxStepBytes = DEFAULT_MAX_PAYLOAD_BYTES, clock, waiters, spans } = this.extras;
      const events = waiters && { waiters, queue: this.queueName, jobId: this.job.id };
      this.journal = new StepJournal(this.label, steps, {
        maxBytes: maxStepBytes,
        now: clock,
        events,
        spans,
      });
    }
    return this.journal;
  }

  /** `Task 'x' (job 5)`, for messages. */
  get label(): string {
    return `Task '${this.job.name}' (job ${this.job.id})`;
  }

  /** The signal the body sees; aborted already if the run has ended. */
  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.state === 'ended') this.controller.abort(this.endedBy);
    }
    return this.controller.signal;
  }

  /**
   * Calls the body, once. Settles with its outcome, or rejects at the timeout (`timeoutMs` > 0)
   * or a cancellation, whichever is first; a run cancelled before it started rejects at once.
   */
  execute(body: RunBody<T>, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (this.fail = reject);
      if (this.state !== 'pending') return fail(this.endedBy);
      this.state = 'running';
      if (timeoutMs > 0) {
        this.timeoutMs = timeoutMs;
        this.deadline = performance.now() + timeoutMs;
        deadlines.add(this);
      }
      let returned: T | PromiseLike<T>;
      try {
        returned = body(this.context, this.payload);
      } catch (error) {
        if (this.settle()) fail(error);
        return;
      }
      // A native promise is used as it is: no wrapper promise for the usual `async` method.
      const running =
        returned instanceof Promise ? (returned as Promise<T>) : Promise.resolve(returned);
      this.running = running;
      running.then(
        (value) => this.settle() && resolve(value),
        (error: unknown) => this.settle() && fail(error),
      );
    });
  }

  /** Ends the run early: `ABORTED_REASON`, `SHUTDOWN_REASON`, or any other reason. */
  cancel(cancellation: unknown): void {
    this.stop(reasonFor(cancellation));
  }

  /** @internal Ends the run with `reason`, unless it has ended already. */
  stop(reason: unknown): void {
    if (this.state === 'ended') return;
    const wasRunning = this.state === 'running';
    this.state = 'ended';
    this.endedBy = reason;
    deadlines.delete(this);
    this.controller?.abort(reason);
    if (!wasRunning) return;
    this.fail!(reason);
    // A body that stops by rethrowing its signal's reason did what was asked: nothing to report.
    this.running?.catch((error: unknown) => {
      if (error !== reason)
        this.reporter.warn(workerMessages.lateFailure(this.label, textOf(error)));
    });
  }

  /** Reports a per-job provider's hook that threw while the job was settled. */
  hookFailed(error: unknown): void {
    this.reporter.warn(workerMessages.hookFailed(this.label, textOf(error)));
  }

  /** Marks the body's own outcome as the run's; false if the run had already ended. */
  private settle(): boolean {
    if (this.state === 'ended') return false;
    this.state = 'ended';
    deadlines.delete(this);
    return true;
  }

  /** @internal Ends the run at its deadline. */
  timeOut(): void {
    this.stop(new TaskTimeoutError(workerMessages.timedOut(this.label, this.timeoutMs / 1000)));
  }
}
