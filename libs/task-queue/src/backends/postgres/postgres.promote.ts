import type { PostgresQueueBackend } from 'bullmq';
import { routeCommand, type CommandRows } from './postgres.command-hook.js';

/** BullMQ's promotion of a delayed job: `SELECT promote($1, $2) AS code`. */
export const PROMOTE_COMMAND = 'promote';

/**
 * BullMQ's own `promote`, called only once the job's row is locked while still `delayed`; `-3`
 * (not delayed) otherwise, as `promote` answers. The CTE with `FOR UPDATE` runs first (the
 * `CASE` reads it before calling the function), and PostgreSQL checks the row's state again
 * once it holds the lock.
 */
const GUARDED_PROMOTE = `WITH delayed AS (
  SELECT id FROM job WHERE queue = $1 AND id = $2 AND state = 'delayed' FOR UPDATE
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM delayed) THEN promote($1, $2) ELSE -3 END AS code`;

type Query = (text: string, params: readonly unknown[]) => Promise<CommandRows>;

/**
 * @internal Promotes delayed jobs without a race BullMQ's `promote` function has on PostgreSQL:
 * it reads the job's state, then updates the row by its id alone. A worker that claims the job
 * (its delay over) between the two has its active job set back to `waiting`, and the job then
 * runs twice at once. Our promotes come at exactly such times: a suspended job woken at its due
 * time, an event, an abort. Pinned by postgres.promote.spec.ts.
 */
export function guardPromote(backend: PostgresQueueBackend): void {
  const inner = backend as unknown as { query: Query };
  routeCommand(backend, PROMOTE_COMMAND, (params) => inner.query(GUARDED_PROMOTE, params));
}
