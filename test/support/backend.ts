// The backend a backend-neutral spec runs on: its Jest project says which (jest.config.js sets
// the global TASK_QUEUE_BACKEND); the other specs run on Redis.
import { randomBytes } from 'node:crypto';
import { describe } from '@jest/globals';
import type { PGlite } from '@electric-sql/pglite';
import type { INestApplicationContext } from '@nestjs/common';
import pg from 'pg';
import type { TaskQueueConnection } from '@app/task-queue';
import { QueueBackend } from '../../libs/task-queue/src/backends/queue-backend.js';
import { deleteKeys, REDIS_URL, uniquePrefix } from './redis.js';
import { newPGlite } from './pglite.js';
import { TEST_DATABASE_URL } from './postgres.js';

export type BackendKind = 'redis' | 'postgres' | 'pglite';

declare const TASK_QUEUE_BACKEND: BackendKind | undefined;

/** The backend of this spec's project; Redis for the specs that are not backend-neutral. */
export const BACKEND: BackendKind =
  typeof TASK_QUEUE_BACKEND === 'string' ? TASK_QUEUE_BACKEND : 'redis';

/** A namespace of one spec file's own on the backend, and how to remove it afterwards. */
/**
 * A `describe` block declared only when this run's backend is one of `backends`: tests that do
 * not apply to a backend are not declared there, rather than counted as skipped (CI fails on a
 * skipped test).
 */
export function describeOn(
  backends: readonly BackendKind[],
  name: string,
  tests: () => void,
): void {
  if (backends.includes(BACKEND)) describe(name, tests);
}

export interface TestBackend {
  kind: BackendKind;
  connection: TaskQueueConnection;
  /** Redis key prefix, or PostgreSQL schema. */
  prefix: string;
  /** Environment that points the example app's processes at this namespace. */
  env: Record<string, string>;
  /** Deletes everything the test left in its namespace. */
  cleanup(): Promise<void>;
}

/** A fresh namespace on {@link BACKEND}, so spec files can run in any order and in parallel. */
export function testBackend(label: string): TestBackend {
  if (BACKEND === 'redis') {
    const prefix = uniquePrefix(label);
    return {
      kind: BACKEND,
      connection: REDIS_URL,
      prefix,
      env: { TASK_QUEUE_URL: REDIS_URL, TASK_QUEUE_PREFIX: prefix },
      cleanup: async () => void (await deleteKeys(prefix)),
    };
  }
  // A PostgreSQL schema name: letters, digits and underscores.
  const prefix = `tqtest_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  if (BACKEND === 'pglite') {
    // The Jest worker's in-memory database (test/pglite-environment.js), shared by the
    // applications a spec starts (as replicas share a server) and by its namespaces, a schema
    // each (as on PostgreSQL's test database): a boot costs more than most tests. Outside that
    // environment, one for the spec file, taken on first use (one that a spec never uses would
    // otherwise still be starting when Jest tears the spec down) and closed after its last user.
    let db: PGlite | undefined;
    return {
      kind: BACKEND,
      get connection() {
        return { pglite: (db ??= takePGlite()) };
      },
      prefix,
      env: { TASK_QUEUE_URL: 'pglite:memory', TASK_QUEUE_PREFIX: prefix },
      cleanup: async () => {
        if (db === undefined) return;
        const used = db;
        db = undefined;
        if (used === workerPGlite()) await used.exec(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
        else await releasePGlite();
      },
    };
  }
  return {
    kind: BACKEND,
    connection: TEST_DATABASE_URL,
    prefix,
    env: { TASK_QUEUE_URL: TEST_DATABASE_URL, TASK_QUEUE_PREFIX: prefix },
    cleanup: () => dropSchema(prefix),
  };
}

/** The Jest worker's PGlite, lent by test/pglite-environment.js. */
const workerPGlite = () => (globalThis as { __TQ_WORKER_PGLITE__?: PGlite }).__TQ_WORKER_PGLITE__;

/**
 * Without the worker's: the PGlite of this spec file's namespaces (Jest loads this module once
 * per spec file), and how many of them use it: closed, and gone, when the last one is cleaned up.
 */
let shared: { db: PGlite; users: number } | undefined;

function takePGlite(): PGlite {
  const lent = workerPGlite();
  if (lent) return lent;
  shared ??= { db: newPGlite(), users: 0 };
  shared.users += 1;
  return shared.db;
}

async function releasePGlite(): Promise<void> {
  if (!shared || --shared.users > 0) return;
  const { db } = shared;
  shared = undefined;
  await db.close();
}

/**
 * A pattern of where a worker's startup line says the queues of `backend` are (its Redis or
 * PostgreSQL on 127.0.0.1, with the namespace), to build a RegExp with.
 */
export function startupWhere(backend: TestBackend): string {
  return backend.kind === 'redis'
    ? `Redis at 127\\.0\\.0\\.1:\\d+, prefix '${backend.prefix}'`
    : `PostgreSQL at 127\\.0\\.0\\.1:5432/test, schema '${backend.prefix}'`;
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Jobs in every state on one queue of `app`, read with BullMQ itself. */
export async function countJobs(app: INestApplicationContext, queue: string): Promise<number> {
  const counts = await app.get(QueueBackend).queue(queue).getJobCounts();
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
