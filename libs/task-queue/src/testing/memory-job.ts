import type {
  EnqueueOptions,
  TaskFailedAttempt,
  TaskJobInfo,
  TaskJobStatus,
} from '../interfaces/task-job.interface.js';
import type { TaskJobOptions } from '../producer/job-settings.js';
import { stepsOf, type StepRecord } from '../durable/job-steps.js';

/**
 * @internal A job kept in memory by the testing module. It has the fields of a BullMQ job that
 * the worker's run path reads (`id`, `name`, `data`, `opts`, `attemptsMade`, `updateProgress`),
 * and it is what `TASK_JOB` gives a per-job provider while it runs.
 */
export class MemoryJob {
  status: TaskJobStatus;
  result: unknown = null;
  error: string | null = null;
  /** Each run that threw, as BullMQ's stack traces give them on a backend. */
  readonly failedAttempts: TaskFailedAttempt[] = [];
  attemptsMade = 0;
  attemptsStarted = 0;
  progress: number | object = 0;
  /** Replaced by a debounced enqueue: gone, as from a backend (its record stays). */
  removed = false;
  /**
   * When it is due, in `Date.now()` ms: later than its enqueue when it has a delay, or when it
   * sleeps (the testing kit's clock then moves on to it).
   */
  dueAt: number;
  /**
   * Suspended by `ctx.waitForEvent`, until an event wakes it or its timeout (`dueAt`) passes
   * on the testing kit's clock.
   */
  waitsForEvent = false;
  /** Its journal: what its durable steps stored, oldest first. */
  readonly journal: StepRecord[] = [];
  /** In a flow: the job that waits for this one. */
  parent?: MemoryJob;
  /** In a flow: the jobs this one waits for, in order. */
  children: MemoryJob[] = [];

  constructor(
    readonly id: string,
    readonly name: string,
    readonly queue: string,
    readonly data: object,
    readonly opts: TaskJobOptions,
    /** The enqueue's options as given. */
    readonly options: EnqueueOptions,
  ) {
    this.status = opts.delay ? 'scheduled' : 'queued';
    this.dueAt = Date.now() + (opts.delay ?? 0);
  }

  /** Whether it still waits to run (queued, scheduled, or waiting for a retry). */
  get waiting(): boolean {
    return this.status === 'queued' || this.status === 'scheduled';
  }

  /** Whether it waits for children that have not completed yet. */
  get blocked(): boolean {
    return this.children.some((child) => child.status !== 'complete');
  }

  /** The results of its completed children, keyed `<queue>:<id>` as on PostgreSQL. */
  getChildrenValues(): Promise<Record<string, unknown>> {
    const values: Record<string, unknown> = {};
    for (const { queue, id, status, result } of this.children) {
      if (status === 'complete') values[`${queue}:${id}`] = result;
    }
    return Promise.resolve(values);
  }

  get unfinished(): boolean {
    return this.waiting || this.status === 'active';
  }

  updateProgress(value: number | object): Promise<void> {
    this.progress = value;
    return Promise.resolve();
  }

  info(): TaskJobInfo {
    const { id, name, queue, status, result, error, attemptsStarted: attempts, progress } = this;
    const failedAttempts = this.failedAttempts.map((failed) => ({ ...failed }));
    const steps = stepsOf(this.journal);
    return { id, name, queue, status, result, error, attempts, progress, failedAttempts, steps };
  }
}
