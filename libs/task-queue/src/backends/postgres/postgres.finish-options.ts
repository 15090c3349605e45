import type { Job } from 'bullmq';
import type { FinishedLimit } from './postgres.retention-sql.js';

/** A job's retention of one outcome: none kept, a limit, or all kept (`undefined`). */
export type JobLimit = 'none' | FinishedLimit | undefined;

/** What a job asks to keep of its queue's finished jobs, per outcome. */
export interface JobLimits {
  completed: JobLimit;
  failed: JobLimit;
}

/**
 * @internal Takes a job's retention away from BullMQ, to be applied by the sweep: the job then
 * asks BullMQ to keep every finished job, or to remove only itself when it keeps none.
 *
 * This relies on a BullMQ internal: `Job.moveToCompleted` and `Job.moveToFailed` hand the
 * PostgreSQL backend `job.opts.removeOnComplete` / `removeOnFail` as they are when the job
 * finishes, not as they were stored at enqueue (test/retention-sweep.e2e-spec.ts pins it). The
 * stored options keep the task's retention: a process that does not sweep (an older version)
 * still applies it.
 * @returns the job's own limits, before the change.
 */
export function takeRetention(job: Job): JobLimits {
  const limits = {
    completed: limitOf(job.opts.removeOnComplete),
    failed: limitOf(job.opts.removeOnFail),
  };
  job.opts = {
    ...job.opts,
    removeOnComplete: limits.completed === 'none',
    removeOnFail: limits.failed === 'none',
  };
  return limits;
}

/** BullMQ's reading of a `removeOnComplete` / `removeOnFail` value (its `normalizeKeep`). */
function limitOf(option: unknown): JobLimit {
  if (option === true) return 'none';
  if (option === false || option === undefined || option === null) return undefined;
  if (typeof option === 'number') return limitWith(undefined, option);
  const { age, count } = option as { age?: number; count?: number };
  return limitWith(age ?? undefined, count ?? undefined);
}

function limitWith(age: number | undefined, count: number | undefined): JobLimit {
  // A negative number is BullMQ's "no limit" (its SQL skips it).
  const keptAge = age !== undefined && age >= 0 ? age : undefined;
  const keptCount = count !== undefined && count >= 0 ? count : undefined;
  if (keptAge === 0 || keptCount === 0) return 'none';
  if (keptAge === undefined && keptCount === undefined) return undefined;
  return { age: keptAge, count: keptCount };
}
