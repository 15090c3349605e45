// What the flow-control specs measure: when jobs started, read back from the backend, and the
// invariants the limits promise over those instants.
import type { INestApplicationContext } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { TaskQueues, type EnqueuedJob, type TaskJobInfo, type TaskQueue } from '@app/task-queue';
import { QueueBackend } from '../../libs/task-queue/src/backends/queue-backend.js';
import { eventually } from './redis.js';

/** A finished job with the instant its (last) run was taken by a worker, in `Date.now()` ms. */
export interface Started {
  info: TaskJobInfo;
  startedAt: number;
}

/**
 * Waits until every job of `jobs` is complete, then reads when each started: BullMQ's
 * `processedOn`, stamped by the worker that took the job as it took it, so it is the claim's
 * own instant whatever the job did after.
 */
export async function whenComplete(
  app: INestApplicationContext,
  jobs: EnqueuedJob[],
  timeoutMs = 30_000,
): Promise<Started[]> {
  const queues = app.get(TaskQueues);
  const infos = await eventually(
    async () => {
      const read = await Promise.all(jobs.map((job) => queues.get(job.queue).getJob(job.id)));
      return read.every((info) => info?.status === 'complete')
        ? (read as TaskJobInfo[])
        : undefined;
    },
    timeoutMs,
    `${jobs.length} jobs to complete`,
  );
  const backend = app.get(QueueBackend);
  return Promise.all(
    infos.map(async (info) => {
      const job = await backend.queue(info.queue).getJob(info.id);
      return { info, startedAt: job!.processedOn! };
    }),
  );
}

/** The most instants of `times` inside any half-open window of `windowMs`, wherever it falls. */
export function mostWithin(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last] - sorted[first] >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/**
 * How much earlier than its claim a job's `processedOn` may be. It is the worker's `Date.now()`
 * as it sends the claim, while a rate limit's window is kept by the backend from the claim that
 * opened it: a claim of the next window, stamped a few ms before it reached the backend (a
 * process descheduled in between, under load), can fall inside the second before.
 */
const STAMP_SLACK_MS = 100;

/**
 * What the starts `times` of jobs queued at once under a limit of so many per `perMs` show: the
 * most starts in any window of `perMs` less {@link STAMP_SLACK_MS}, and the time from the first
 * start to the last (plus that slack), in which every further window of the limit must fit: a
 * limit that let too many jobs through shows in the first, one with too short a window in the
 * second.
 */
export function rateWindows(times: number[], perMs: number): { most: number; spanMs: number } {
  return {
    most: mostWithin(times, perMs - STAMP_SLACK_MS),
    spanMs: Math.max(...times) - Math.min(...times) + STAMP_SLACK_MS,
  };
}

/** The most intervals `[start, end)` that overlap at any instant: the high-water mark. */
export function highWaterMark(intervals: { start: number; end: number }[]): number {
  const edges = intervals.flatMap(({ start, end }) => [
    { at: start, step: 1 },
    { at: end, step: -1 },
  ]);
  // An interval that ends where another starts does not overlap it.
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let running = 0;
  let most = 0;
  for (const { step } of edges) most = Math.max(most, (running += step));
  return most;
}

/** The processes the jobs ran in. */
export const pidsOf = (jobs: Started[]) =>
  new Set(jobs.map(({ info }) => (info.result as { pid: number }).pid));

/**
 * Waits until job `id` (a `call_api` of the flow fixtures) has paused its queue and gone back to
 * it, and returns when it called `ctx.rateLimit()` (its progress): the pause is on from then.
 *
 * Two reads: `getJob` reads the job's state before its data, so one read can show the state
 * from before the run (queued) with the progress the run set since, while the pause is still
 * being set. A state read after progress was seen is from after the run began: queued then, the
 * run has ended and the job is back.
 */
export function whenRateLimited(queue: TaskQueue, id: string): Promise<number> {
  return eventually(
    async () => {
      const progress = (await queue.getJob(id))?.progress as { limitedAt?: number } | undefined;
      if (progress?.limitedAt === undefined) return undefined;
      return (await queue.getJob(id))?.status === 'queued' ? progress.limitedAt : undefined;
    },
    10_000,
    `job ${id} to be rate-limited`,
  );
}

/** Waits until the queue-wide limit of a `ctx.rateLimit()` pause on BullMQ queue `queue` is gone. */
export function whenPauseLifted(queue: Queue, timeoutMs: number): Promise<true> {
  return eventually(
    async () => ((await queue.getGlobalRateLimit()) === null ? true : undefined),
    timeoutMs,
    'the queue-wide limit of the pause to be lifted',
  );
}
