/**
 * Where the bench's queues live: `--backend redis` (the default), `postgres` (the server at
 * TEST_DATABASE_URL, a schema per lane and round) or `pglite` (an in-memory PGlite per lane,
 * a schema per round). Raw BullMQ reaches PostgreSQL as a user of plain BullMQ does, through
 * BullMQ's own `createPostgresBackend` (see `bullmqLink`).
 */
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import {
  createPostgresBackend,
  PostgresConnection,
  PostgresQueueBackend,
  Queue,
  runMigrations,
  Worker,
  type BackendFactory,
  type PgPool,
  type PostgresConnectionOptions,
  type Processor,
} from 'bullmq';
import pg from 'pg';
import type { TaskQueueConnection } from '@app/task-queue';
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
 * Plain BullMQ on a lane's schema: what a user of BullMQ without this module writes. None of the
 * module's completion batching, deadlock retries or lock order reaches it.
 */
export interface BullmqLink {
  queue(): Queue;
  worker(processor: Processor, concurrency: number): Worker;
  /** After the queues and workers made here are closed (each closes what it opened). */
  close(): Promise<void>;
}

/**
 * Creates the lane's schema with BullMQ's own migrations, as a BullMQ user runs them once
 * before starting queues; a second call finds it up to date.
 */
export async function migrateBullmq(at: Place): Promise<void> {
  if (at.kind === 'pglite') {
    const pool = new PGlitePool(at.db!, { searchPath: `"${at.prefix}"` });
    const client = await pool.connect();
    try {
      await runMigrations(client, at.prefix);
    } finally {
      client.release();
      await pool.end();
    }
    return;
  }
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await runMigrations(client, at.prefix);
  } finally {
    await client.end();
  }
}

/**
 * On a PostgreSQL server, BullMQ's `createPostgresBackend` given a connection config naming the
 * schema: each `Queue` and `Worker` builds its own `pg.Pool` (of `max` connections, pg's 10 by
 * default) and a worker its own LISTEN connection, all closed with it. On PGlite, which BullMQ
 * cannot open by itself, BullMQ's `PostgresQueueBackend` over this module's `PGlitePool`, the
 * only part of the module in the lane.
 */
export function bullmqLink(at: Place, { max }: { max?: number } = {}): BullmqLink {
  if (at.kind === 'pglite') return pgliteLink(at);
  const connection = { connectionString: TEST_DATABASE_URL, schema: at.prefix, max };
  return {
    queue: () => new Queue(at.queue, { connection }, createPostgresBackend) as unknown as Queue,
    worker: (processor, concurrency) =>
      new Worker(
        at.queue,
        processor,
        { connection, concurrency },
        createPostgresBackend,
      ) as unknown as Worker,
    close: async () => undefined,
  };
}

/** BullMQ's connection over a pool given to it, on `schema` (given a pool, BullMQ reads `bullmq`). */
class SchemaConnection extends PostgresConnection {
  constructor(pool: PgPool, schema: string) {
    super(pool);
    Object.defineProperty(this, 'schema', { value: schema });
  }
}

function pgliteLink(at: Place): BullmqLink {
  // The backends, as `createPostgresBackend` makes them (its names for `getWorkers`), each with
  // a connection of its own over one pool on the lane's database.
  const pool = new PGlitePool(at.db!, { searchPath: `"${at.prefix}"` });
  const factory: BackendFactory<PostgresQueueBackend, PostgresConnectionOptions> = (
    name,
    opts,
    { withBlockingConnection, blocking } = {},
  ) => {
    const listenName = withBlockingConnection ? name : blocking ? `${name}:qe` : undefined;
    const connection = new SchemaConnection(pool, at.prefix);
    return new PostgresQueueBackend(connection, name, opts, true, listenName);
  };
  return {
    queue: () => new Queue(at.queue, { connection: pool }, factory) as unknown as Queue,
    worker: (processor, concurrency) =>
      new Worker(
        at.queue,
        processor,
        { connection: pool, concurrency },
        factory,
      ) as unknown as Worker,
    close: () => pool.end(),
  };
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
