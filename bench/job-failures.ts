/**
 * Jobs that fail in a lane. A no-op job fails only when the backend fails it: on PostgreSQL,
 * plain BullMQ fails a job whose completion the server rolled back to break a deadlock (issue
 * 30: its retention trim deadlocks at concurrency 10), after the job's handler ran. Those are
 * counted and printed with the figures, which go on; any other failure fails the lane.
 */
import type { Worker } from 'bullmq';
import { failRunningLane } from './lane-failure.js';

/** PostgreSQL's SQLSTATE for a statement rolled back to break a deadlock. */
export const DEADLOCK_DETECTED = '40P01';

/** What a lane's worker left failed, read when a measurement ends. */
export interface JobFailures {
  /** Jobs in the failed state in the lane's queue. */
  failed: number;
  /** Plain BullMQ's lanes: jobs its worker failed because of a deadlock (by SQLSTATE). */
  deadlocks?: number;
}

const isDeadlock = (error: unknown) =>
  typeof error === 'object' &&
  error !== null &&
  'code' in error &&
  error.code === DEADLOCK_DETECTED;

/**
 * Watches a plain BullMQ worker. A deadlock in a job's completion reaches it twice: as an
 * `error` event, then as the job's `failed` event (BullMQ fails the job with that error); the
 * job is counted. A job failed for another reason, or another error of the worker, fails the
 * running lane (bench/lane-failure.ts), with the figures gathered so far. Returns the count.
 */
export function countDeadlocks(worker: Pick<Worker, 'on'>): () => number {
  let deadlocks = 0;
  worker.on('failed', (job, error) => {
    if (isDeadlock(error)) deadlocks++;
    else failRunningLane(new Error(`job ${job?.id} failed: ${error.message}`, { cause: error }));
  });
  worker.on('error', (error) => {
    if (!isDeadlock(error)) failRunningLane(error);
  });
  return () => deadlocks;
}

/** A measurement's failure figures, `<figure>-failed` and `<figure>-deadlocks`, if any. */
export function failureFigures(
  figure: string,
  failures: JobFailures | undefined,
): Record<string, number> {
  if (!failures) return {};
  return {
    [`${figure}-failed`]: failures.failed,
    ...(failures.deadlocks !== undefined && { [`${figure}-deadlocks`]: failures.deadlocks }),
  };
}

/** Per figure, per lane: one entry per round. */
export type FailuresByFigure = Record<string, Record<string, JobFailures[]>>;

/**
 * One line per figure: each lane's failed jobs over the rounds, those by deadlocks named, and
 * the count per round (`process-c10: BullMQ 7 failed, 7 by deadlocks (3, 0, 4); …`).
 */
export function describeFailures(byFigure: FailuresByFigure): string[] {
  return Object.entries(byFigure).map(([figure, lanes]) => {
    const parts = Object.entries(lanes).map(([lane, rounds]) => {
      const failed = rounds.reduce((sum, r) => sum + r.failed, 0);
      if (failed === 0) return `${lane} 0`;
      const deadlocks = rounds.reduce((sum, r) => sum + (r.deadlocks ?? 0), 0);
      const cause = rounds.some((r) => r.deadlocks !== undefined)
        ? `, ${deadlocks} by deadlocks`
        : '';
      return `${lane} ${failed} failed${cause} (${rounds.map((r) => r.failed).join(', ')})`;
    });
    return `  ${figure}: ${parts.join('; ')}`;
  });
}
