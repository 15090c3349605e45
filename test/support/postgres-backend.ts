// BullMQ's schema on the test PostgreSQL, for specs that drive the module's BullMQ backend by hand.
import { randomBytes } from 'node:crypto';
import { runMigrations } from 'bullmq';
import pg from 'pg';
import { postgresBackendFactory } from '../../libs/task-queue/src/backends/postgres/namespaced.connection.js';
import { installCompletion } from '../../libs/task-queue/src/backends/postgres/postgres.complete-install.js';
import { TEST_DATABASE_URL, runSql } from './postgres.js';

/**
 * Within a `describe`: a schema of its own named after `label`, migrated as the module does
 * (BullMQ's migrations, then the module's function) before the tests and dropped after them; a pool on it (its connections named after the
 * schema) and the module's BullMQ backend factory on that pool. What a spec hands to
 * `closeFirst` is closed before the pool ends.
 */
export function useMigratedPostgres(label: string) {
  const schema = `tqtest_${label}_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({
    connectionString: TEST_DATABASE_URL,
    options: `-c search_path="${schema}"`,
    application_name: schema,
    max: 4,
  });
  const factory = postgresBackendFactory({
    pool,
    listenClient: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      return Object.assign(client, { release: () => void client.end() });
    },
    keepAlive: false,
    namedStatements: true,
    schema: { whenReady: async () => schema },
  });
  const toClose: Array<{ close(): Promise<unknown> }> = [];
  const closeFirst = <T extends { close(): Promise<unknown> }>(thing: T): T => {
    toClose.push(thing);
    return thing;
  };
  beforeAll(async () => {
    const client = await pool.connect();
    try {
      await runMigrations(client, schema);
      await installCompletion(client, schema);
    } finally {
      client.release();
    }
  });
  afterAll(async () => {
    for (const thing of toClose.reverse()) await thing.close();
    await pool.end();
    await runSql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
  return { schema, pool, factory, closeFirst };
}
