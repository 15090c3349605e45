import type { PgPool } from 'bullmq';
import type { FinishedJob } from '../bullmq.outcomes.js';

/**
 * @internal Which of jobs `ids` of `queue` have finished, with their outcome, in one query
 * (the pool's `search_path` names the schema), where BullMQ reads each job twice. It reads
 * BullMQ's `job` table, an internal: postgres.finished.spec.ts pins it against BullMQ's reads.
 */
export async function finishedJobs(
  pool: PgPool,
  queue: string,
  ids: string[],
): Promise<FinishedJob[]> {
  const { rows } = await pool.query<{
    id: string;
    state: string;
    return_value: unknown;
    failed_reason: string | null;
  }>(
    `SELECT id, state::text AS state, return_value, failed_reason FROM job
      WHERE queue = $1 AND id IN (SELECT jsonb_array_elements_text($2::jsonb))
        AND state IN ('completed', 'failed')`,
    [queue, JSON.stringify(ids)],
  );
  return rows.map(({ id, state, return_value, failed_reason }): FinishedJob =>
    state === 'failed'
      ? { id, failed: true, reason: failed_reason ?? '' }
      : { id, failed: false, value: return_value },
  );
}
