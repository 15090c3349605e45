import {
  DelayedError,
  Job,
  UnrecoverableError,
  WaitingError,
  Worker,
  type Processor,
  type Queue,
} from 'bullmq';
import type { JobSteps } from '../durable/job-steps.js';
import type { RunSuspension } from '../durable/run-suspension.js';
import type { BullEventWaiters } from './bullmq.event-waiters.js';
import { BullJobSteps } from './bullmq.job-steps.js';
import type { RunListener } from '../worker/run-control.js';
import type { TaskJobOptions } from '../producer/job-settings.js';
import { ScheduleOverlap } from '../scheduling/schedule-overlap.js';
import { scheduleTickOf } from './bullmq.schedules.js';
import { RunFailure } from '../worker/run-outcome.js';
import type { RunnableJob, RunProcessor } from '../worker/runnable-job.js';

/**
 * @internal A BullMQ job as a run sees it: a thin view that reads the job's own fields when
 * asked, made once per run (the payload is not copied).
 */
class BullRunJob implements RunnableJob {
  constructor(
    readonly native: Job,
    private readonly overlap: ScheduleOverlap | undefined,
    /** The job's queue, where its steps are read; absent once the run has ended. */
    private readonly queue?: Queue,
  ) {}

  get steps(): JobSteps | undefined {
    return this.queue && new BullJobSteps(this.native, this.queue);
  }

  get id(): string {
    return this.native.id!;
  }

  get name(): string {
    return this.native.name;
  }

  get data(): unknown {
    return this.native.data as unknown;
  }

  get attemptsMade(): number {
    return this.native.attemptsMade;
  }

  get attempts(): number {
    return this.native.opts.attempts ?? 1;
  }

  get timeoutMs(): number | undefined {
    return (this.native.opts as TaskJobOptions).taskTimeout;
  }

  get traceContext(): string | undefined {
    return this.native.opts.telemetry?.metadata;
  }

  get carriedContext(): Readonly<Record<string, unknown>> | undefined {
    return (this.native.opts as TaskJobOptions).taskContext;
  }

  /** The run's duration counts from here; the backend keeps the time the job was claimed. */
  started(): void {
    this.native.processedOn = Date.now();
  }

  updateProgress(value: number | object): Promise<void> {
    return this.native.updateProgress(value);
  }

  childResults(): Promise<unknown[]> {
    return childResultsOf(this.native);
  }

  failsForGood(error: Error): boolean {
    return isUnrecoverable(error);
  }

  overlapping(): Promise<boolean> | undefined {
    if (!this.overlap) return undefined;
    const tick = scheduleTickOf(this.native);
    return ScheduleOverlap.applies(tick) ? this.overlap.skips(tick) : undefined;
  }
}

/**
 * @internal Whether BullMQ fails a job for good on `error` whatever its attempts left: its own
 * rule (`Job.moveToFailed`), which also takes an error of another copy of BullMQ by its name.
 */
export const isUnrecoverable = (error: Error): boolean =>
  error instanceof UnrecoverableError || error.name === 'UnrecoverableError';

/** @internal How the runs of a worker that failed ended, until its `failed` event reads them. */
export type RunFailures = WeakMap<Job, RunFailure>;

/**
 * @internal The BullMQ processor that runs each job with `run` (ticks of `overlap: false`
 * schedules checked with `overlap`, steps read from `queue`), and gives BullMQ a run that did
 * not complete in its own terms, keeping how it ended in `failures`. A run that suspended its
 * job (`ctx.sleep`) moves it to BullMQ's delayed set until it resumes, without using an
 * attempt, and is told to `listener`; one aborted meanwhile leaves its `waiters` and is woken
 * at once, to be failed. It takes two parameters, not BullMQ's optional third
 * (the job's AbortSignal): BullMQ then makes no AbortController per job.
 */
export function bullProcessor(
  run: RunProcessor,
  overlap: ScheduleOverlap,
  failures: RunFailures,
  queue: Queue,
  listener: RunListener,
  waiters: BullEventWaiters,
): Processor {
  return (job: Job, token?: string) =>
    run(new BullRunJob(job, overlap, queue)).catch(async (failure: RunFailure) => {
      const until = failure.resumeAt;
      if (until === undefined) {
        failures.set(job, failure);
        return bullFailure(failure, job, token);
      }
      // A suspended job goes back to the delayed set; BullMQ emits no event for it, so its
      // run is told to the listener here, once the move is done.
      await job.moveToDelayed(until, token);
      // An abort or an event that came while the job was still active could not end its
      // sleep or wait: end it now (an aborted job is failed by the worker that takes it).
      const { ended } = failure.error as RunSuspension;
      if (await abortedMeanwhile(queue, job)) {
        await waiters.dropOf(queue.name, job.id!);
        await job.promote();
      } else if (ended && (await ended())) await job.promote();
      else wakeAt(job, until);
      const attempt = job.attemptsMade + 1;
      listener.ended(
        new BullRunJob(job, undefined),
        failure.outcome,
        attempt,
        durationOf(job),
        failure,
      );
      throw new DelayedError();
    });
}

/** How soon a suspended job must be due for this process to wake it itself. */
const WAKE_HORIZON_MS = 60_000;

/**
 * Promotes `job` at `until` from this process, when that is soon: BullMQ's idle worker would
 * take it only when its blocking wait ends, which Redis times on its own clock, in steps of
 * its `hz` (100 ms at the default). A job taken meanwhile (by BullMQ, an event, an abort) is
 * not delayed any more, and its promote fails harmlessly; so does one after shutdown.
 */
function wakeAt(job: Job, until: number): void {
  const delay = until - Date.now();
  if (delay > WAKE_HORIZON_MS) return;
  // A timer may fire a little before `Date.now()` reaches `until`: the job would then run
  // while its sleep is not over, and sleep again.
  const wake = () => {
    if (Date.now() < until) setTimeout(wake, until - Date.now()).unref();
    else void job.promote().catch(() => undefined);
  };
  setTimeout(wake, Math.max(0, delay)).unref();
}

/** Whether `job` was marked aborted (BullMQ's deferred failure) since its run began. */
async function abortedMeanwhile(queue: Queue, job: Job): Promise<boolean> {
  const fresh = await Job.fromId(queue, job.id!);
  return fresh?.deferredFailure !== undefined;
}

/**
 * @internal Tells `listener` of each run of `worker` once BullMQ has recorded its end (its
 * `completed` and `failed` events; a run put back emits neither), with the outcome the
 * processor gave it. A failure the processor did not make (BullMQ's own) is a failed run.
 */
export function reportRuns(worker: Worker, listener: RunListener, failures: RunFailures): void {
  worker.on('completed', (job) => {
    listener.ended(
      new BullRunJob(job, undefined),
      'completed',
      job.attemptsMade,
      durationOf(job),
      undefined,
    );
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    const failure = failures.get(job) ?? new RunFailure('failed', error, true);
    failures.delete(job);
    listener.ended(
      new BullRunJob(job, undefined),
      failure.outcome,
      job.attemptsMade,
      durationOf(job),
      failure,
    );
  });
}

/** How long a run took, in ms: BullMQ's timestamps are the backend's; a retry has no end yet. */
function durationOf(job: Job): number {
  const end = job.finishedOn || Date.now();
  return Math.max(0, end - (job.processedOn ?? end));
}

/**
 * What BullMQ is given for a run that did not complete: the throw drives retries, so keep it
 * faithful. A run put back by a shutdown goes back to the queue without using up an attempt
 * (`WaitingError` tells BullMQ it moved); one put back by `ctx.rateLimit()` goes back first in
 * line (the queue is paused); one that fails for good is BullMQ's `UnrecoverableError`.
 */
async function bullFailure(failure: RunFailure, job: Job, token?: string): Promise<never> {
  switch (failure.outcome) {
    case 'requeued':
      await job.moveToWait(token);
      throw new WaitingError();
    case 'rate-limited':
      throw Worker.RateLimitError();
    default:
      throw failure.final ? new UnrecoverableError(failure.reason) : failure.error;
  }
}

/**
 * The results of `job`'s children, in the order its flow gave them (`null` for a child that
 * returned nothing). BullMQ keys them by child: `<prefix>:<queue>:<id>` on Redis,
 * `<queue>:<id>` on PostgreSQL; queue names and the ids given to flow jobs hold no `:`, so the
 * last two parts name the child on either.
 */
async function childResultsOf(job: Job): Promise<unknown[]> {
  const children = (job.opts as TaskJobOptions).taskChildren;
  if (!children?.length) return [];
  const values: Record<string, unknown> = (await job.getChildrenValues()) ?? {};
  const byRef = new Map<string, unknown>();
  for (const [key, value] of Object.entries(values)) {
    byRef.set(key.split(':').slice(-2).join(':'), value);
  }
  return children.map((ref) => byRef.get(ref) ?? null);
}
