import { TaskQueueConfigError } from '../errors/index.js';
import type { TaskSchedule } from '../interfaces/task-schedule.interface.js';
import { taskFailed } from '../producer/job-outcome.js';
import type { QueueJobStore } from '../producer/job-store.js';
import type { PreparedJob } from '../producer/prepared-job.js';
import type { PreparedFlow } from '../producer/task-flow.js';
import { flowMessages } from '../producer/task-flow.messages.js';
import { publicSchedules } from '../scheduling/task-schedule.store.js';
import { ABORTED_REASON } from '../task-queue.constants.js';
import { MemoryJob } from './memory-job.js';
import { MemoryKeys } from './memory-keys.js';
import { MemorySchedules } from './memory.schedules.js';
import { MemoryQueueJobs } from './memory.queue-jobs.js';
import { testingMessages } from './task-queue-testing.messages.js';
import type { RecordedJob, TaskQueueTestingMode } from './task-queue-testing.interfaces.js';

/** Runs `apply` gives a job that keeps calling `ctx.rateLimit()` before it gives up. */
const RATE_LIMITED_RUNS = 100;

/** @internal What runs the jobs kept in memory: the worker's run path, in this process. */
export interface MemoryJobRunner {
  /** Runs `job` until it has an outcome, retries included. */
  run(job: MemoryJob): Promise<void>;
  /** Cancels job `id` of `queue` if it is running. */
  abortRunning(queue: string, id: string): void;
  /** The declared (`@ScheduledTask()`) schedules of `queue`. */
  schedules(queue: string): TaskSchedule[];
}

/**
 * @internal Every job enqueued since the last `clear()`, in order, on every queue. Without a
 * runner (a context made by `createTaskContext`) jobs are only recorded.
 */
export class MemoryJobs {
  private jobs: MemoryJob[] = [];
  private readonly keys = new MemoryKeys();
  private readonly lastIds = new Map<string, number>();
  /** Schedules made by `TaskQueue.schedule()`; `clear()` keeps them. */
  readonly scheduleStore = new MemorySchedules();

  constructor(
    readonly mode: TaskQueueTestingMode,
    private readonly runner?: MemoryJobRunner,
  ) {}

  /** The store behind `TaskQueue` `name`. */
  queue(name: string): QueueJobStore {
    return new MemoryQueueJobs(this, name);
  }

  records(): RecordedJob[] {
    return this.jobs.map(({ id, name, queue, data, options }) => ({
      id,
      name,
      queue,
      payload: data,
      options,
    }));
  }

  find(queue: string, id: string): MemoryJob | undefined {
    return this.jobs.find((job) => job.queue === queue && job.id === id && !job.removed);
  }

  /** Job `id` of `queue`, else the first job with that id on any queue. */
  byId(id: string, queue?: string): MemoryJob | undefined {
    if (queue !== undefined) return this.find(queue, id);
    return this.jobs.find((job) => job.id === id && !job.removed);
  }

  onQueue(queue: string): MemoryJob[] {
    return this.jobs.filter((job) => job.queue === queue && !job.removed);
  }

  /**
   * The next job a worker would take: the oldest queued one without a priority, else the
   * queued one most urgent (then oldest), else the soonest scheduled one. A job waiting for an
   * event is due only once its wait has timed out: at `now` (the testing kit's clock), or at
   * any time with `timeouts`.
   */
  next(now: number, timeouts = false): MemoryJob | undefined {
    let queued: MemoryJob | undefined;
    let soonest: MemoryJob | undefined;
    for (const job of this.jobs) {
      if (job.blocked || job.removed) continue;
      if (job.waitsForEvent && !timeouts && job.dueAt > now) continue;
      if (job.status === 'queued') {
        if (!job.opts.priority) return job;
        if (!queued || job.opts.priority < queued.opts.priority!) queued = job;
      }
      if (job.status === 'scheduled' && (!soonest || job.dueAt < soonest.dueAt)) soonest = job;
    }
    return queued ?? soonest;
  }

  clear(): void {
    this.jobs = [];
    this.keys.clear();
  }

  /**
   * Adds the jobs of a checked flow, children before their parents, with the ids the flow
   * gave them; in inline mode runs them in that order (a parent once its children completed).
   */
  async addFlow(flow: PreparedFlow): Promise<MemoryJob> {
    const added: MemoryJob[] = [];
    const addNode = ({ id, queue, job, children }: PreparedFlow): MemoryJob => {
      const node = new MemoryJob(id, job.name, queue, job.data, job.opts, job.requested ?? {});
      node.children = children.map(addNode);
      for (const child of node.children) child.parent = node;
      added.push(node);
      return node;
    };
    const root = addNode(flow);
    this.jobs.push(...added);
    if (this.mode === 'inline') {
      for (const job of added) if (job.waiting && !job.blocked) await this.run(job);
    }
    return root;
  }

  /**
   * After `job` ran: a flow child that failed for good (or was aborted) fails its parent, with
   * its error in the parent's, and so on up the tree; the parent never runs.
   */
  ended(job: MemoryJob): void {
    const { parent } = job;
    if (!parent?.unfinished || (job.status !== 'failed' && job.status !== 'aborted')) return;
    parent.status = job.status;
    parent.error = flowMessages.childFailed(job.name, job.id, job.queue, job.error ?? '');
    this.ended(parent);
  }

  /**
   * Adds a checked job, or finds the one holding its key (replacing it when debounced); runs it
   * in inline mode.
   */
  async add(queue: string, { name, data, opts, requested }: PreparedJob): Promise<MemoryJob> {
    const { duplicate, replaced } = this.keys.find(queue, opts.deduplication);
    if (duplicate) {
      this.keys.extend(queue, opts.deduplication, duplicate);
      return duplicate;
    }
    if (replaced) replaced.removed = true;
    const id = (this.lastIds.get(queue) ?? 0) + 1;
    this.lastIds.set(queue, id);
    const job = new MemoryJob(String(id), name, queue, data, opts, requested ?? {});
    this.jobs.push(job);
    this.keys.hold(queue, opts.deduplication, job);
    if (this.mode === 'inline') await this.run(job);
    return job;
  }

  /** Runs `job` now if it still waits, and gives its final outcome as `apply` does. */
  async outcome(job: MemoryJob): Promise<unknown> {
    // A run ended by ctx.rateLimit() leaves the job waiting: run it again, as a worker would.
    for (let runs = 0; job.waiting; runs++) {
      if (runs === RATE_LIMITED_RUNS) {
        throw new Error(testingMessages.rateLimitRunaway(job.name, RATE_LIMITED_RUNS));
      }
      await this.run(job);
    }
    if (job.status === 'complete') return job.result;
    throw taskFailed(job.name, job.id, job.error ?? '');
  }

  run(job: MemoryJob): Promise<void> {
    return this.runnerOf('run a job').run(job);
  }

  abort(queue: string, id: string): boolean {
    const job = this.find(queue, id);
    if (!job?.unfinished) return false;
    if (job.status === 'active') {
      this.runnerOf('abort a running job').abortRunning(queue, id);
    } else {
      // As on a backend once a worker has taken it: started, and failed with the abort.
      job.status = 'aborted';
      job.error = ABORTED_REASON;
      job.attemptsStarted += 1;
      job.attemptsMade += 1;
      job.failedAttempts.push({ attempt: job.attemptsMade, error: ABORTED_REASON });
    }
    // A flow's parent takes its unfinished children with it.
    for (const child of job.children) this.abort(child.queue, child.id);
    return true;
  }

  /** Every schedule of `queue`: the declared ones and those of `TaskQueue.schedule()`. */
  async schedules(queue: string): Promise<TaskSchedule[]> {
    const runtime = publicSchedules(await this.scheduleStore.queue(queue).list());
    return [...(this.runner?.schedules(queue) ?? []), ...runtime].sort(
      (a, b) => a.next.getTime() - b.next.getTime(),
    );
  }

  private runnerOf(what: string): MemoryJobRunner {
    if (!this.runner) throw new TaskQueueConfigError(testingMessages.noRunner(what));
    return this.runner;
  }
}
