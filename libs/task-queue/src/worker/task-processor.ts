import type { LoggerService } from '@nestjs/common';
import { UnrecoverableError, WaitingError, Worker, type Job, type Processor } from 'bullmq';
import type { BoundTask } from '../discovery/task.registry.js';
import {
  NonRetryableError,
  TaskAbortedError,
  TaskRateLimitedError,
  TaskTimeoutError,
} from '../errors/index.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import type { TaskTracing } from '../observability/task-queue.tracing.js';
import type { TaskInvocation } from '../per-job/task-invocation.js';
import type { TaskJobOptions } from '../producer/enqueue-options.js';
import type { TaskQueue } from '../producer/task-queue.js';
import { validateWithSchema } from '../producer/task-schema.js';
import { ABORTED_REASON } from '../task-queue.constants.js';
import { messages } from '../task-queue.messages.js';
import { ScheduleOverlap } from '../scheduling/schedule-overlap.js';
import type { ActiveRuns } from './active-runs.js';
import { TaskRun, type QueueRateLimiter } from './task-run.js';

/** @internal What a worker's processor adds to the runs, where the queue has it. */
export interface ProcessorExtras {
  /** Skips ticks of `overlap: false` schedules while one is active. */
  overlap?: ScheduleOverlap;
  /** Runs each job in a `process <queue>` span. */
  tracing?: TaskTracing;
  /** Pauses the queue in every process, for `ctx.rateLimit()`. */
  rateLimit?: QueueRateLimiter;
}

/**
 * @internal The processor of one queue. It takes two parameters, not BullMQ's optional third (the
 * job's AbortSignal): BullMQ then makes no AbortController per job. Cancellation goes
 * through `runs` instead, which `cancelJob` would have reached only in this process too.
 * It runs for every job: what can be decided once per task was decided at bootstrap. With
 * `overlap`, a tick of an `overlap: false` schedule is first checked and, while another tick of
 * its schedule is active, completed at once as skipped (result `null`, the task not called).
 */
export function taskProcessor(
  queueName: string,
  tasks: ReadonlyMap<string, BoundTask>,
  queue: TaskQueue,
  active: ActiveRuns,
  logger: LoggerService,
  { overlap, tracing, rateLimit }: ProcessorExtras = {},
): Processor {
  const runs = active.on(queueName);
  const runJob = (job: Job, token?: string): Promise<unknown> => {
    const task = tasks.get(job.name);
    if (!task) throw new UnrecoverableError(messages.unknownTaskInWorker(job.name, queueName));
    const id = job.id!;
    if (active.abortRequested(queueName, id)) {
      throw new UnrecoverableError(ABORTED_REASON);
    }
    const data = (job.data ?? {}) as object;
    const payload = task.kwargs ? { ...task.kwargs, ...data } : data;
    // Registered before payload checks and per-job DI: a cancellation then stops the run
    // before the body starts.
    const run = new TaskRun(job, queue, payload, logger, rateLimit);
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
    return runChecked(job, token, task, run, prepared).finally(() => runs.delete(id));
  };
  // Each run in its span (a tick skipped for overlap has none: its task is not called).
  const run = tracing ? tracing.process(queueName, runJob) : runJob;
  if (!overlap) return run;
  return (job: Job, token?: string) =>
    ScheduleOverlap.applies(job)
      ? overlap.skips(job).then((skip) => (skip ? null : run(job, token)))
      : run(job, token);
}

/** A run with a schema to check, per-job providers to make, or hooks to call. */
async function runChecked(
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
  // ctx.rateLimit() paused the queue: BullMQ puts the job back, first in line, no attempt used.
  if (error instanceof TaskRateLimitedError) throw Worker.RateLimitError();
  throw failureOf(error, task);
}

/** What BullMQ is given for a failed run: the throw drives retries, so keep it faithful. */
function failureOf(error: unknown, task: BoundTask): Error {
  if (error instanceof TaskAbortedError) return unrecoverable(ABORTED_REASON, error);
  if (error instanceof NonRetryableError) return unrecoverable(error.message, error);
  if (error instanceof TaskTimeoutError && !task.retryOnTimeout) {
    return unrecoverable(error.message, error);
  }
  // BullMQ records only an Error's message; keep the text of anything else thrown.
  return error instanceof Error ? error : new Error(messages.nonErrorThrown(error));
}

/** BullMQ's no-retry failure, keeping the task's own error as its cause (for the run's span). */
function unrecoverable(message: string, cause: Error): UnrecoverableError {
  return Object.assign(new UnrecoverableError(message), { cause });
}
