// The one way the specs and fixtures open a transaction on a node-postgres pool: BEGIN on a
// client of its own, then COMMIT or ROLLBACK.
import type pg from 'pg';

/** How a transaction of {@link inPgTransaction} ends when its work succeeds. */
export type TransactionEnd = 'COMMIT' | 'ROLLBACK';

/**
 * Runs `work` on a client of `pool` inside BEGIN, then ends the transaction with `end` and
 * returns what `work` returned. A throw rolls back and is rethrown; the client goes back to the
 * pool either way.
 */
export async function inPgTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  end: TransactionEnd = 'COMMIT',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query(end);
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
