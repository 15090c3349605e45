import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TaskRegistry, type BoundTask } from '../discovery/task.registry.js';
import { TaskQueueConfigError } from '../errors/index.js';
import type { TaskJobInfo } from '../interfaces/task-job.interface.js';
import type { TaskSchedule } from '../interfaces/task-schedule.interface.js';
import { JobStore, type QueueJobStore } from '../producer/job-store.js';
import {
  nextRun,
  schedulerIdOf,
  withOverlap,
  type RuntimeSchedule,
} from '../scheduling/task-schedule.store.js';
import { TaskQueues } from '../producer/task-queues.service.js';
import { optionMessages } from '../options/options.messages.js';
import { ActiveRuns } from '../worker/active-runs.js';
import { RunContexts } from '../worker/run-contexts.js';
import { RunFailure } from '../worker/run-outcome.js';
import type { RunProcessor } from '../worker/runnable-job.js';
import { deadlines } from '../worker/task-run.deadlines.js';
import { taskProcessor } from '../worker/task-processor.js';
import type { MemoryJob } from './memory-job.js';
import { MemoryRunJob } from './memory.run-job.js';
import { MemoryEventWaiters } from './memory.event-waiters.js';
import { MemoryJobs, type MemoryJobRunner } from './memory.jobs.js';
import type { TaskQueueTestingOptions } from './task-queue-testing.interfaces.js';

/** @internal Token of the options the testing module was given. */
export const TESTING_OPTIONS = Symbol('TASK_QUEUE_TESTING_OPTIONS');

/**
 * @internal The testing module's {@link JobStore}: jobs in memory, run in this process by the
 * worker's own processor (`taskProcessor`), so timeouts, retries, payload schemas, per-job DI,
 * success/failure hooks and the run's CLS context apply as on a worker. No connection, no
 * timer of its own.
 */
@Injectable()
export class MemoryJobStore extends JobStore implements MemoryJobRunner, OnApplicationShutdown {
  readonly jobs: MemoryJobs;
  private readonly active = new ActiveRuns();
  private readonly processors = new Map<string, RunProcessor>();
  private readonly logger = new Logger('TaskWorker');
  /** The jobs waiting for events (`ctx.waitForEvent`), woken by `TaskQueues.sendEvent`. */
  readonly waiters: MemoryEventWaiters;
  /** How far the testing kit's clock is ahead of `Date.now()`: sleeps are not waited for. */
  private clockOffset = 0;

  /** The testing kit's clock, in ms since the epoch: ahead of `Date.now()` by the sleeps run. */
  now(): number {
    return Date.now() + this.clockOffset;
  }

  constructor(
    @Inject(TESTING_OPTIONS) options: TaskQueueTestingOptions,
    private readonly registry: TaskRegistry,
    // TaskQueues is made from this store; a run needs its queues for `ctx.queue`, so they are
    // looked up when the first job runs, not injected.
    private readonly moduleRef: ModuleRef,
    // nestjs-cls, when the application has it: each run in a CLS context of its own, as on a worker.
    @Optional() private readonly contexts?: RunContexts,
  ) {
    super();
    const { mode = 'manual' } = options;
    if (mode !== 'manual' && mode !== 'inline') {
      throw new TaskQueueConfigError(
        optionMessages.invalidOption('TaskQueueTestingModule mode', mode, "'manual' or 'inline'"),
      );
    }
    this.jobs = new MemoryJobs(mode, this);
    this.waiters = new MemoryEventWaiters(this.jobs);
  }

  queue(name: string): QueueJobStore {
    return this.jobs.queue(name);
  }

  /** No timer outlives the test: the run timeouts' shared one is cleared once idle. */
  onApplicationShutdown(): void {
    deadlines.releaseIfIdle();
  }

  /**
   * Runs `job` attempt after attempt, as a worker would, until it completes or fails for good;
   * each failed run goes as its outcome (classified by the processor) says.
   */
  async run(job: MemoryJob): Promise<void> {
    const processor = this.processorOf(job.queue);
    const view = new MemoryRunJob(job);
    while (job.waiting) {
      // Its own clock: a job due later (a sleep, a wait's timeout) runs now, at the time it was due.
      this.clockOffset = Math.max(this.clockOffset, job.dueAt - Date.now());
      job.status = 'active';
      job.attemptsStarted += 1;
      try {
        job.result = await processor(view);
        job.status = 'complete';
        job.error = null;
      } catch (thrown) {
        const failure = thrown instanceof RunFailure ? thrown : undefined;
        const outcome = failure?.outcome ?? 'failed';
        if (failure?.resumeAt !== undefined) {
          // A sleep: scheduled, no attempt used; the next drain() round runs it at once.
          job.status = 'scheduled';
          job.dueAt = failure.resumeAt;
          job.waitsForEvent = outcome === 'waiting';
          return;
        }
        if (outcome === 'rate-limited' || outcome === 'requeued') {
          // ctx.rateLimit(): back to the queue, no attempt used; it runs again in the next
          // drain() round (a pause, like a delay, is not waited for in memory).
          job.status = 'scheduled';
          return;
        }
        job.attemptsMade += 1;
        job.error = failure ? failure.reason : String(thrown);
        job.failedAttempts.push({ attempt: job.attemptsMade, error: job.error });
        if (outcome === 'aborted') job.status = 'aborted';
        else if (outcome === 'failed') job.status = 'failed';
        // A retry with a delay is scheduled; it runs at once all the same.
        else job.status = job.opts.backoff ? 'scheduled' : 'queued';
      }
    }
    this.jobs.ended(job);
  }

  abortRunning(queue: string, id: string): void {
    this.active.abort(queue, id);
  }

  schedules(queue: string): TaskSchedule[] {
    const schedules: TaskSchedule[] = [];
    for (const { definition } of this.registry.tasksOn(queue).values()) {
      const { name, cron, timeZone, every } = definition;
      const id = schedulerIdOf(name);
      const overlap = definition.overlap !== false;
      if (every !== undefined) {
        const next = nextRun({ every: Math.round(every * 1000) });
        schedules.push({ id, source: 'decorator', name, every, overlap, next });
      } else if (cron !== undefined) {
        const next = nextRun({ pattern: cron, tz: timeZone! });
        schedules.push({ id, source: 'decorator', name, cron, timeZone: timeZone!, overlap, next });
      }
    }
    return schedules.sort((a, b) => a.next.getTime() - b.next.getTime());
  }

  /** Adds one tick of a scheduled task, as its scheduler would (its kwargs as data), and runs it. */
  async tick(task: BoundTask): Promise<TaskJobInfo> {
    const { name, queue } = task.definition;
    const data = JSON.parse(JSON.stringify(task.kwargs ?? {})) as object;
    const opts = withOverlap(task.jobOptions, task.definition.overlap);
    const job = await this.jobs.add(queue, { name, data, opts: { ...opts } });
    if (job.waiting) await this.run(job);
    return job.info();
  }

  /** Adds one tick of a runtime schedule of `queue` (its payload as data), and runs it. */
  async tickRuntime(queue: string, { template }: RuntimeSchedule): Promise<TaskJobInfo> {
    const { name, data, opts } = template;
    const job = await this.jobs.add(queue, { name, data: { ...data }, opts: { ...opts } });
    if (job.waiting) await this.run(job);
    return job.info();
  }

  private processorOf(queue: string): RunProcessor {
    let processor = this.processors.get(queue);
    if (!processor) {
      const taskQueue = this.moduleRef.get(TaskQueues, { strict: false }).get(queue);
      const tasks = this.registry.tasksOn(queue);
      processor = taskProcessor(queue, tasks, taskQueue, this.active, this.logger, {
        context: this.contexts,
        clock: () => this.now(),
        waiters: this.waiters,
      });
      this.processors.set(queue, processor);
    }
    return processor;
  }
}
