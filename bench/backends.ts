/**
 * Where the bench's queues live: `--backend redis` (the default), `postgres` (the server at
 * TEST_DATABASE_URL, a schema per lane and round) or `pglite` (an in-memory PGlite per lane,
 * a schema per round). Raw BullMQ reaches PostgreSQL the way this module does: BullMQ's own
 * `Queue`/`Worker` given a pool and a backend factory as their last argument.
 */
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import {
  Queue,
  runMigrations,
  Worker,
  type PgPool,
  type PgPoolClient,
  type Processor,
} from 'bullmq';
import pg from 'pg';
import type { TaskQueueConnection } from '@app/task-queue';
import { postgresBackendFactory } from '../libs/task-queue/src/backends/postgres/namespaced.connection.js';
import { PGlitePool } from '../libs/task-queue/src/backends/postgres/pglite.pool.js';
import { TEST_DATABASE_URL } from '../test/support/postgres.js';
import { deleteKeys, REDIS_URL } from '../test/support/redis.js';

export type BackendKind = 'redis' | 'postgres' | 'pglite';
export const BACKENDS: readonly BackendKind[] = ['redis', 'postgres', 'pglite'];

let current: BackendKind = 'redis';

/** Chooses the backend of this run (before any lane is opened). */
export function useBackend(kind: BackendKind): void {
  current = kind;
}

export const backendKind = (): BackendKind => current;

/** The queue every contender works on, in a namespace of its own per step. */
export const QUEUE = 'bench';

/** One lane's namespace: a Redis key prefix, or a PostgreSQL schema. */
export interface Place {
  kind: BackendKind;
  /** The Redis key prefix, or the schema (on the server, or in `db`). */
  prefix: string;
  /**
   * The lane's queue: {@link QUEUE}, but on a PostgreSQL server one of its own, since BullMQ
   * wakes its workers by a NOTIFY naming the queue, which every schema's workers receive.
   */
  queue: string;
  /** PGlite only: the lane's own database. */
  db?: PGlite;
}

/** One in-memory PGlite per lane slot, kept for the whole run (each round gets a new schema). */
const databases = new Map<number, PGlite>();

/**
 * A fresh namespace named after `name` (`tqbench-<run>-<n>`), for the lane in `slot`
 * (0, 1, …: on PGlite, each slot has a database of its own).
 */
export function place(name: string, slot: number): Place {
  if (current === 'redis') return { kind: current, prefix: name, queue: QUEUE };
  // A PostgreSQL schema name: letters, digits and underscores.
  const prefix = name.replace(/\W/g, '_');
  if (current === 'postgres') return { kind: current, prefix, queue: `${QUEUE}_${prefix}` };
  let db = databases.get(slot);
  if (!db) databases.set(slot, (db = new PGlite()));
  return { kind: current, prefix, queue: QUEUE, db };
}

/** Removes everything the lane left: its keys, or its schema. */
export async function dropPlace({ kind, prefix, db }: Place): Promise<void> {
  if (kind === 'redis') {
    await deleteKeys(prefix);
  } else if (db) {
    await db.exec(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
  } else {
    await onServer(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
  }
}

/**
 * Drops what this run left (a lane that failed half-way): its Redis keys or its schemas, and
 * the PGlites.
 */
export async function dropAll(runId: string): Promise<void> {
  for (const db of databases.values()) await db.close();
  databases.clear();
  // Every namespace of the run is `tqbench-<run>-…`.
  if (current === 'redis') await deleteKeys(`tqbench-${runId}-*`);
  if (current !== 'postgres') return;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1`,
      [`tqbench\\_${runId}\\_%`],
    );
    for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function onServer<R extends object>(statement: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<R>(statement)).rows;
  } finally {
    await client.end();
  }
}

/** What TaskQueueModule.forRoot is given for `at`. */
export function moduleConnection(at: Place): { connection: TaskQueueConnection; prefix: string } {
  switch (at.kind) {
    case 'redis':
      return { connection: REDIS_URL, prefix: at.prefix };
    case 'postgres':
      return { connection: TEST_DATABASE_URL, prefix: at.prefix };
    case 'pglite':
      return { connection: { pglite: at.db! }, prefix: at.prefix };
  }
}

/**
 * BullMQ on PostgreSQL without this module: a pool of its own on the schema, and a factory
 * making BullMQ's `PostgresQueueBackend` over it for each `Queue`/`Worker`, with a dedicated
 * connection per worker for its LISTEN (as BullMQ's `createPostgresBackend` gives a worker).
 */
export interface PostgresLink {
  queue(): Queue;
  worker(processor: Processor, concurrency: number): Worker;
  /** Ends the pool (after the queues and workers made here are closed). */
  close(): Promise<void>;
}

/**
 * With `migrate`, the first query runs BullMQ's migrations on the schema; without, the schema
 * must be migrated already (a feeder opened after its lane). On PGlite, whose one session is
 * shared by every pool on the database, two pools must not both run migrations.
 */
export function postgresLink(at: Place, { migrate, max }: { migrate: boolean; max?: number }) {
  const searchPath = `"${at.prefix}"`;
  let pool: PgPool;
  let listenClient: () => Promise<PgPoolClient>;
  let end: () => Promise<void>;
  if (at.kind === 'pglite') {
    const pglite = new PGlitePool(at.db!, { searchPath });
    pool = pglite;
    listenClient = () => pglite.connect();
    end = () => pglite.end();
  } else {
    const config = {
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${searchPath}`,
      max,
    };
    const server = new pg.Pool(config);
    pool = server;
    listenClient = async () => {
      const client = new pg.Client({ ...config, keepAlive: true });
      await client.connect();
      return Object.assign(client, { release: () => void client.end().catch(() => undefined) });
    };
    end = () => server.end();
  }
  let ready: Promise<string> | undefined;
  const schemaReady = () =>
    (ready ??= migrate
      ? (async () => {
          const client = await pool.connect();
          try {
            await runMigrations(client, at.prefix);
          } finally {
            client.release();
          }
          return at.prefix;
        })()
      : Promise.resolve(at.prefix));
  const factory = postgresBackendFactory({
    pool,
    listenClient,
    keepAlive: true,
    schema: { whenReady: schemaReady },
  });
  return {
    queue: () => new Queue(at.queue, { connection: pool }, factory) as unknown as Queue,
    worker: (processor, concurrency) =>
      new Worker(
        at.queue,
        processor,
        { connection: pool, concurrency },
        factory,
      ) as unknown as Worker,
    close: end,
  } satisfies PostgresLink;
}

/** The server's or the embedded database's version, for the run's header. */
export async function serverVersion(): Promise<string> {
  if (current === 'postgres') {
    const [row] = await onServer<{ server_version: string }>('SHOW server_version');
    return `PostgreSQL ${row.server_version}`;
  }
  const { version } = JSON.parse(
    readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8'),
  ) as { version: string };
  return `PGlite ${version}`;
}
