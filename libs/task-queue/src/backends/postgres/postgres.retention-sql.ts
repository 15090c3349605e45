import type { PgPool } from 'bullmq';
import { TaskQueueConfigError } from '../../errors/index.js';

/**
 * The version of BullMQ's PostgreSQL schema (its `migration` table) that {@link sweepFinished}
 * was written for: it deletes from BullMQ's `job` table as BullMQ's own `apply_retention` does
 * (newest first by `finished_at_ms`, then `seq`; a job whose `finished_at_ms` is at or before
 * the age limit goes). Another version may store jobs differently: the sweep refuses it.
 */
export const SWEPT_SCHEMA_VERSION = 11;

/** What one sweep statement did. */
export interface SweepResult {
  /** Whether it held the queue's sweep lock (else another process sweeps, and it did nothing). */
  held: boolean;
  /** Jobs it deleted. */
  removed: number;
  /** Jobs it found to delete: more than `removed` when some were held by other transactions. */
  due: number;
}

/** Which finished jobs of a queue to keep. */
export interface FinishedLimit {
  /** Most jobs kept; `undefined`: no limit by number. */
  count?: number;
  /** Seconds a job is kept after it finished; `undefined`: no limit by age. */
  age?: number;
}

/**
 * One statement, so that it takes its locks in one order and never waits on a job: the
 * queue's sweep lock is a try-lock (a second sweeper skips), and the jobs are taken with
 * SKIP LOCKED (a job another transaction holds is left for the next sweep). Deleting a job
 * cascades to its logs and its children's dependency rows, as BullMQ's trim does. The jobs due
 * are locked each by its key (a LATERAL subquery that OFFSET 0 keeps apart, its state compared
 * as text so that no index on the state can serve it): left to the planner, without the
 * table's statistics, the lock step read every finished job for each job due, a cost that grew
 * with the square of the sweep.
 */
const SWEEP_SQL = `
WITH sweep_lock AS MATERIALIZED (
  SELECT pg_try_advisory_xact_lock(hashtext($1)) AS held
), beyond_count AS (
  SELECT id FROM job
   WHERE queue = $2 AND state = $3::job_state
     AND $4::integer IS NOT NULL AND (SELECT held FROM sweep_lock)
   ORDER BY finished_at_ms DESC, seq DESC
  OFFSET $4::integer LIMIT $6::integer
), past_age AS (
  SELECT id FROM job
   WHERE queue = $2 AND state = $3::job_state
     AND finished_at_ms <= $5::bigint AND (SELECT held FROM sweep_lock)
   ORDER BY finished_at_ms, seq
   LIMIT $6::integer
), due AS (
  SELECT id FROM beyond_count UNION SELECT id FROM past_age
), doomed AS (
  SELECT j.id FROM due
   CROSS JOIN LATERAL (SELECT id FROM job
                        WHERE queue = $2 AND id = due.id AND state::text = $3::text
                        OFFSET 0 FOR UPDATE SKIP LOCKED) AS j
), removed AS (
  DELETE FROM job WHERE queue = $2 AND id IN (SELECT id FROM doomed) RETURNING 1
)
SELECT (SELECT held FROM sweep_lock) AS held,
       (SELECT count(*) FROM removed)::integer AS removed,
       (SELECT count(*) FROM due)::integer AS due`;

/**
 * @internal Deletes up to `batch` finished jobs (`state`) of queue `queue` that `limit` does
 * not keep, in the pool's schema `schema`, unless another process is sweeping that queue.
 */
export async function sweepFinished(
  pool: PgPool,
  schema: string,
  queue: string,
  state: 'completed' | 'failed',
  limit: FinishedLimit,
  batch: number,
): Promise<SweepResult> {
  const cutoff = limit.age === undefined ? null : Date.now() - limit.age * 1000;
  const { rows } = await pool.query<SweepResult>(SWEEP_SQL, [
    `task-queue:retention:${schema}:${queue}`,
    queue,
    state,
    limit.count ?? null,
    cutoff,
    batch,
  ]);
  const [row] = rows;
  return { held: row?.held ?? false, removed: row?.removed ?? 0, due: row?.due ?? 0 };
}

/**
 * @internal Throws a clear error unless BullMQ's schema `schema` is at the version the sweep
 * was written for.
 */
export async function assertSweepable(pool: PgPool, schema: string): Promise<void> {
  const { rows } = await pool.query<{ version: number }>(
    `SELECT COALESCE(MAX(version), 0)::integer AS version FROM migration`,
  );
  const version = rows[0]?.version ?? 0;
  if (version !== SWEPT_SCHEMA_VERSION) {
    throw new TaskQueueConfigError(
      `Retention on PostgreSQL: BullMQ's schema '${schema}' is at version ${version}, and the ` +
        `sweep of finished jobs was written for version ${SWEPT_SCHEMA_VERSION}. BullMQ trims ` +
        `finished jobs at each completion instead (slower, and it can deadlock under ` +
        `concurrency). Use the version of nestjs-task-queue made for your BullMQ.`,
    );
  }
}
