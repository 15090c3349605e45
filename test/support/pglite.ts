// A new in-memory PGlite database for a spec, unit or end-to-end.
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { runMigrations } from 'bullmq';
import { postgresBackendFactory } from '../../libs/task-queue/src/backends/postgres/namespaced.connection.js';
import { installCompletion } from '../../libs/task-queue/src/backends/postgres/postgres.complete-install.js';
import { PGlitePool } from '../../libs/task-queue/src/backends/postgres/pglite.pool.js';

/**
 * A new in-memory PGlite database. Started from the data directory that test/pglite-data-dir.js
 * made with a new PGlite, when there is one: the same database, without running `initdb` again.
 */
export function newPGlite(): PGlite {
  const dataDir = process.env.TQ_TEST_PGLITE_DATA_DIR;
  return dataDir === undefined
    ? new PGlite()
    : new PGlite({ loadDataDir: new Blob([readFileSync(dataDir)]) });
}

/** An in-memory PGlite with BullMQ's schema `schema` migrated as the module does, and a pool on it. */
export async function migratedPGlite(schema: string): Promise<{ db: PGlite; pool: PGlitePool }> {
  const db = newPGlite();
  const pool = new PGlitePool(db, { searchPath: `"${schema}"` });
  const client = await pool.connect();
  await runMigrations(client, schema);
  await installCompletion(client, schema);
  client.release();
  return { db, pool };
}

/**
 * Within a `describe`: an in-memory PGlite with BullMQ's schema `schema`, migrated before the
 * tests and closed after them; `pool()` is its pool, `factory()` the module's BullMQ backend
 * factory on it.
 */
export function useMigratedPGlite(schema: string): {
  pool(): PGlitePool;
  factory(): ReturnType<typeof postgresBackendFactory>;
} {
  let opened: { db: PGlite; pool: PGlitePool } | undefined;
  beforeAll(async () => {
    opened = await migratedPGlite(schema);
  }, 180_000);
  afterAll(async () => {
    await opened?.pool.end();
    await opened?.db.close();
  });
  const pool = () => {
    if (!opened) throw new Error('The PGlite is opened in beforeAll: use pool() in a test');
    return opened.pool;
  };
  const factory = () =>
    postgresBackendFactory({
      pool: pool(),
      listenClient: () => pool().connect(),
      keepAlive: false,
      schema: { whenReady: async () => schema },
    });
  return { pool, factory };
}
