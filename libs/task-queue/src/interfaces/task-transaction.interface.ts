/**
 * An open database transaction that an enqueue writes its job through, so the job and the
 * caller's own writes commit (or roll back) together: workers see the job only after COMMIT,
 * and a ROLLBACK leaves nothing of it.
 *
 * Anything with `query(text, values?)` answering `{ rows }`, inside a transaction that is still
 * open, on the queues' database (or, on Redis, the outbox's):
 * - a node-postgres `PoolClient` after `BEGIN` (not the `Pool`: each of its queries may take
 *   another connection);
 * - a PGlite `Transaction` (the argument of `db.transaction(async (tx) => …)`), of the PGlite
 *   instance the queues use;
 * - an ORM's transaction through this package's adapters: `drizzleTransaction(tx)`,
 *   `typeormTransaction(managerOrQueryRunner)`, `prismaTransaction(tx)`.
 *
 * @example
 * ```ts
 * const client = await pool.connect();
 * await client.query('BEGIN');
 * await client.query('insert into users (email) values ($1)', [email]);
 * await queue.enqueue('send_welcome_email', { email }, { transaction: client });
 * await client.query('COMMIT');
 * client.release();
 * ```
 */
export interface TaskTransaction {
  /** Runs one statement with `$1`-style parameters inside the open transaction. */
  query(
    text: string,
    values?: unknown[],
  ): Promise<{
    /** The rows the statement returned. */
    rows: unknown[];
  }>;
}
