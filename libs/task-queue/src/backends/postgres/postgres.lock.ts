import { setTimeout as sleep } from 'node:timers/promises';
import type { PgPoolClient } from 'bullmq';

/** How often a lock held by another process is tried again, in ms. */
const POLL_MS = 100;

/**
 * @internal Runs `work` holding the session-level advisory lock `key`, on a connection of its
 * own (released after): a holder that dies frees the lock with its session. Returns
 * `undefined` without running `work` once `cancelled()` while waiting.
 */
export async function withAdvisoryLock<T>(
  connect: () => Promise<PgPoolClient>,
  key: string,
  work: () => Promise<T>,
  cancelled: () => boolean,
): Promise<T | undefined> {
  const client = await connect();
  client.on('error', () => undefined);
  try {
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [key],
      );
      if (rows[0]?.locked) break;
      if (cancelled()) return undefined;
      await sleep(POLL_MS);
    }
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    }
  } finally {
    client.release(true);
  }
}
