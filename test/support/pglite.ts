// A new in-memory PGlite database for a spec, unit or end-to-end.
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { runMigrations } from 'bullmq';
import { createBackend } from '../../libs/task-queue/src/backends/create-backend.js';
import { postgresBackendFactory } from '../../libs/task-queue/src/backends/postgres/namespaced.connection.js';
import { installCompletion } from '../../libs/task-queue/src/backends/postgres/postgres.complete-install.js';
import { PGlitePool } from '../../libs/task-queue/src/backends/postgres/pglite.pool.js';
import type { QueueBackend } from '../../libs/task-queue/src/backends/queue-backend.js';
import { resolveConfig } from '../../libs/task-queue/src/task-queue.config.js';

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
      namedStatements: false,
      schema: { whenReady: async () => schema },
    });
  return { pool, factory };
}

/**
 * Within a `describe`: the module's backend on a new in-memory PGlite, with BullMQ's schema made
 * before the tests (not in them: on a busy machine it takes a while); closed after them, and its
 * PGlite too. `backend()` is it.
 */
export function useEmbeddedBackend(): () => QueueBackend {
  let opened: { db: PGlite; backend: QueueBackend } | undefined;
  beforeAll(async () => {
    const db = newPGlite();
    const backend = await createBackend(resolveConfig({ connection: { pglite: db } }));
    opened = { db, backend };
    if (!(await backend.whenReady(120_000))) {
      throw new Error('The embedded backend was not ready within 120 s');
    }
  }, 150_000);
  afterAll(async () => {
    await opened?.backend.close();
    await opened?.db.close();
  });
  return () => {
    if (!opened) throw new Error('The backend is made in beforeAll: use backend() in a test');
    return opened.backend;
  };
}
