import type { PgPoolClient } from 'bullmq';
import {
  COMPLETE_FUNCTION,
  COMPLETE_FUNCTION_NAME,
  COMPLETE_ONE_FUNCTION,
  COMPLETE_ONE_FUNCTION_NAME,
  COMPLETED_SCHEMA_VERSION,
} from './postgres.complete-sql.js';

/**
 * @internal Installs the module's set-based completion (postgres.complete-sql.ts) in BullMQ's
 * schema `schema`, once BullMQ's migrations have run on `client`. On a schema at another version
 * than the one it was written for, it is refused: dropped if an earlier install left it, so that
 * completions go through BullMQ's own functions (slower, and right for that version); the answer
 * is then the warning to log. Under a lock of its own, so that processes that migrate at once do
 * not replace the function at the same time.
 */
export async function installCompletion(
  client: PgPoolClient,
  schema: string,
): Promise<string | undefined> {
  const quoted = `"${schema.replace(/"/g, '""')}"`;
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
      `task-queue:install:${schema}`,
    ]);
    const { rows } = await client.query<{ version: number }>(
      `SELECT COALESCE(MAX(version), 0)::integer AS version FROM ${quoted}.migration`,
    );
    const version = rows[0]?.version ?? 0;
    // The function's body and its row type are resolved in the queues' schema.
    await client.query(`SET LOCAL search_path = ${quoted}`);
    if (version !== COMPLETED_SCHEMA_VERSION) {
      await client.query(`DROP FUNCTION IF EXISTS ${COMPLETE_FUNCTION_NAME}`);
      await client.query(`DROP FUNCTION IF EXISTS ${COMPLETE_ONE_FUNCTION_NAME}`);
      await client.query('COMMIT');
      return (
        `PostgreSQL: BullMQ's schema '${schema}' is at version ${version}, and the module's ` +
        `set-based completion of jobs was written for version ${COMPLETED_SCHEMA_VERSION}: ` +
        `jobs complete through BullMQ's own functions instead, one by one (slower). A version ` +
        `of nestjs-task-queue made for this BullMQ brings it back.`
      );
    }
    await client.query(COMPLETE_FUNCTION);
    await client.query(COMPLETE_ONE_FUNCTION);
    await client.query('COMMIT');
    return undefined;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
