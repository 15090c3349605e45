import type { PgPoolClient } from 'bullmq';
import { TaskQueueConfigError } from '../../errors/index.js';
import { COMPLETE_FUNCTION, COMPLETED_SCHEMA_VERSION } from './postgres.complete-sql.js';

/**
 * @internal Installs the module's set-based completion (postgres.complete-sql.ts) in BullMQ's
 * schema `schema`, once BullMQ's migrations have run on `client`; refuses a schema at another
 * version than the one it was written for. Under a lock of its own, so that processes that
 * migrate at once do not replace the function at the same time.
 */
export async function installCompletion(client: PgPoolClient, schema: string): Promise<void> {
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
    if (version !== COMPLETED_SCHEMA_VERSION) {
      throw new TaskQueueConfigError(
        `PostgreSQL: BullMQ's schema '${schema}' is at version ${version}, and the completion ` +
          `of jobs in batches was written for version ${COMPLETED_SCHEMA_VERSION}: it would ` +
          `write BullMQ's rows as another version does not. Use the version of ` +
          `nestjs-task-queue made for your BullMQ (see its peer dependency on bullmq).`,
      );
    }
    // The function's body and its row type are resolved in the queues' schema.
    await client.query(`SET LOCAL search_path = ${quoted}`);
    await client.query(COMPLETE_FUNCTION);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
