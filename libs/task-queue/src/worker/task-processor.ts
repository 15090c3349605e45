import type { LoggerService } from '@nestjs/common';
import type { BoundTask } from '../discovery/task.registry.js';
import { NonRetryableError, TaskAbortedError } from '../errors/index.js';
import type { TaskInvocation } from '../per-job/task-invocation.js';
import type { TaskQueue } from '../producer/task-queue.js';
import type { EventWaiters } from '../producer/event-waiters.js';
import type { StepSpans } from '../durable/step-journal.js';
import { RunSuspension } from '../durable/run-suspension.js';
import { validateWithSchema } from '../producer/task-schema.js';
import { ABORTED_REASON } from '../task-queue.constants.js';
import { producerMessages } from '../producer/producer.messages.js';
import { workerMessages } from './worker.messages.js';
import type { ActiveRuns } from './active-runs.js';
import { runFailureOf } from './run-outcome.js';
import type { RunContexts } from './run-contexts.js';
import type { RunnableJob, RunProcessor } from './runnable-job.js';
import type { StartGate } from './start-gate.js';
import { TaskRun, type QueueRateLimiter } from './task-run.js';

/** @internal Wraps each run, as the tracing does with its `process` span. */
export type RunWrapper = (queue: string, run: RunProcessor) => RunProcessor;

/** @internal What a worker's processor adds to the runs, where the queue has it. */
export interface ProcessorExtras {
  /** Runs each job in a `process <queue>` span, and each of its steps in a span of its own. */
  tracing?: { process: RunWrapper } & StepSpans;
  /** Pauses the queue in every process, for `ctx.rateLimit()`. */
  rateLimit?: QueueRateLimiter;
  /** Bytes of JSON a job's step results may take together (the module's `maxPayloadBytes`). */
  maxStepBytes?: number;
  /** Runs each job, its per-job providers included, in a context of its own (nestjs-cls). */
  context?: RunContexts;
  /** The time sleeps are read by; default `Date.now` (the testing kit has a clock of its own). */
  clock?: () => number;
  /** Where waits for events are indexed (`ctx.waitForEvent`). */
  waiters?: EventWaiters;
  /** Where jobs claimed ahead of the free slots wait for one (`prefetch`). */
  gate?: StartGate;
}

/**
 * @internal The processor of one queue, whatever the backend: it settles with the run's result,
 * or rejects with a `RunFailure` saying how the run ended, which the backend maps onto its own
 * means (a retry, a failure for good, a job put back). Cancellation goes through `active`, which
 * `cancelJob` would have reached only in this process too.
 * It runs for every job: what can be decided once per task was decided at bootstrap. A tick of
 * an `overlap: false` schedule is first checked and, while another tick of its schedule is
 * active, completed at once as skipped (result `null`, the task not called).
 */
export function taskProcessor(
  queueName: string,
  tasks: ReadonlyMap<string, BoundTask>,
  queue: TaskQueue,
  active: ActiveRuns,
  logger: LoggerService,
  { tracing, rateLimit, context, maxStepBytes, clock, waiters, gate }: ProcessorExtras = {},
): RunProcessor {
  const runs = active.on(queueName);
  const runJob = (job: RunnableJob): Promise<unknown> => {
    const task = tasks.get(job.name);
    if (!task) {
      const unknown = new NonRetryableError(
        workerMessages.unknownTaskInWorker(job.name, queueName),
      );
      return new Promise<never>(() => failed(unknown, job));
    }
    const id = job.id;
    if (active.abortRequested(queueName, id)) {
      return new Promise<never>(() => failed(new TaskAbortedError(ABORTED_REASON), job));
    }
    const data = job.data ?? {};
    const payload = task.kwargs ? { ...task.kwargs, ...data } : data;
    // Registered before payload checks and per-job DI: a cancellation then stops the run
    // before the body starts.
    // Read now: BullMQ counts the attempt on the job object once this run has failed.
    const { attemptsMade } = job;
    const run = new TaskRun(job, queue, payload, logger, {
      limiter: rateLimit,
      maxStepBytes,
      clock,
      waiters,
      spans: tracing,
      endsForGood: (reason) => endsForGood(reason, job, attemptsMade, task),
    });
    runs.set(id, run);
    let prepared: ReturnType<BoundTask['invoke']> | undefined;
    try {
      prepared = task.schema ? undefined : task.invoke(job.native);
    } catch (error) {
      // A per-job provider's constructor threw: the job fails with its error.
      runs.delete(id);
      return new Promise<never>(() => failed(error, job, task));
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
          return failed(error, job, task);
        },
      );
    }
    return runChecked(job, task, run, prepared).finally(() => runs.delete(id));
  };
  const inContext = context ? context.wrap(runJob) : runJob;
  // Each run in its span (a tick skipped for overlap has none: its task is not called).
  const traced = tracing ? tracing.process(queueName, inContext) : inContext;
  const start = (job: RunnableJob) => {
    const overlapping = job.overlapping?.();
    if (!overlapping) return traced(job);
    return overlapping.then((skip) => (skip ? null : traced(job)));
  };
  return gate ? gated(gate, start) : start;
}

/**
 * Runs each job once `gate` has a slot for it; a job the gate refuses (aborted, shutdown, queue
 * paused) ends as that says, without starting.
 */
function gated(gate: StartGate, start: RunProcessor): RunProcessor {
  return async (job) => {
    let waited: boolean;
    try {
      waited = await gate.enter(job.id);
    } catch (refusal) {
      return failed(refusal, job);
    }
    try {
      if (waited) job.started?.();
      return await start(job);
    } finally {
      gate.leave();
    }
  };
}

/** A run with a schema to check, per-job providers to make, or hooks to call. */
async function runChecked(
  job: RunnableJob,
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
        throw new NonRetryableError(
          producerMessages.invalidPayloadBySchema(job.name, checked.problem),
        );
      }
      run.payload = checked.value as object;
    }
    invocation = await (prepared ?? task.invoke(job.native));
    const result = await run.execute(invocation.call, timeoutOf(job, task));
    settling = true;
    if (invocation.hooked) await invocation.succeed(result, run);
    return result === undefined ? null : result;
  } catch (error) {
    if (!settling && invocation?.hooked) {
      if (!(error instanceof RunSuspension)) {
        await invocation.fail(error, run);
        return failed(error, job, task);
      }
      // A sleep or a wait ends the execution with its steps done and stored: the per-job
      // providers settle as after a success, so that what the steps wrote through the job's
      // session is committed with them. A success hook that throws fails the run instead.
      try {
        await invocation.succeed(undefined, run);
      } catch (hookError) {
        return failed(hookError, job, task);
      }
    }
    return failed(error, job, task);
  }
}

/** Ends a run that did not complete: rejects with how it ended (a `RunFailure`). */
function failed(error: unknown, job: RunnableJob, task?: BoundTask): never {
  throw runFailureOf(error, job, task?.retryOnTimeout ?? false);
}

/**
 * Whether a run of `job` (`attemptsMade` attempts before it) that ends with `reason` fails the
 * job for good.
 */
function endsForGood(
  reason: unknown,
  job: RunnableJob,
  attemptsMade: number,
  task: BoundTask,
): boolean {
  const attempt = {
    attemptsMade,
    attempts: job.attempts,
    failsForGood: (error: Error) => job.failsForGood?.(error) ?? false,
  };
  const { outcome } = runFailureOf(reason, attempt, task.retryOnTimeout ?? false);
  return outcome === 'failed' || outcome === 'aborted';
}

/** The job's own timeout (set at enqueue), else its task's, in ms. */
const timeoutOf = (job: RunnableJob, task: BoundTask): number => job.timeoutMs ?? task.timeoutMs;
