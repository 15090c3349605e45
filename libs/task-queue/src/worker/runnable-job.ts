import type { JobSteps } from '../durable/job-steps.js';

/**
 * @internal A job as a run sees it, whatever the backend holds it in: what the worker reads of
 * it, and the backend's own job object, which a per-job provider gets as `TASK_JOB`. A backend
 * gives a thin view of its job (no copy of the payload).
 */
export interface RunnableJob {
  readonly id: string;
  /** The task's name. */
  readonly name: string;
  /** The payload as enqueued (`undefined` or `null` when none was given). */
  readonly data: unknown;
  /** Attempts made before this run. */
  readonly attemptsMade: number;
  /** Attempts allowed in all: 1 with no retries. */
  readonly attempts: number;
  /** The job's own run timeout, set at enqueue, in ms. */
  readonly timeoutMs: number | undefined;
  /** The trace context the job carries (W3C headers as JSON), if any. */
  readonly traceContext: string | undefined;
  /** The enqueuer's CLS values the job carries (`cls.propagate`), if any. */
  readonly carriedContext?: Readonly<Record<string, unknown>>;
  /** The backend's job object: what `TASK_JOB` gives a per-job provider. */
  readonly native: object;
  /** Where the job's durable steps are kept (`ctx.step`). */
  readonly steps?: JobSteps;
  /**
   * The run starts now, later than the backend handed the job over: it was claimed ahead and
   * waited for a free slot (`prefetch`). The job's start time becomes now.
   */
  started?(): void;
  /** `ctx.progress()`. */
  updateProgress(value: number | object): Promise<void>;
  /**
   * `ctx.childResults()`: the results of the job's flow children, in the order its flow gave
   * them (`null` for a child that returned nothing); none for a job without children.
   */
  childResults(): Promise<unknown[]>;
  /**
   * Whether the job is a tick of an `overlap: false` schedule while another tick of it is
   * active, in any process, and so is to be skipped; `undefined` for any other job.
   */
  overlapping?(): Promise<boolean> | undefined;
  /**
   * Whether the backend ends the job for good when a run throws `error`, attempts left or not:
   * an error class of the backend's own that a task may throw (BullMQ's `UnrecoverableError`).
   */
  failsForGood?(error: Error): boolean;
}

/** @internal Runs one job; settles with its result, or rejects with a `RunFailure`. */
export type RunProcessor = (job: RunnableJob) => Promise<unknown>;
