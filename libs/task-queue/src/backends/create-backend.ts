import type { PgPool } from 'bullmq';
import { TaskQueueConfigError } from '../errors/index.js';
import type { PostgresPoolConfig } from '../interfaces/task-queue-options.interface.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { describeBackend } from './backend-address.js';
import type { BackendOptions } from './backend-options.js';
import { PGlitePool, type PGliteLike } from './postgres/pglite.pool.js';
import { PostgresBackend } from './postgres/postgres.backend.js';
import type { PostgresSetup } from './postgres/postgres.connection.js';
import type { QueueBackend } from './queue-backend.js';
import { RedisBackend } from './redis/redis.backend.js';

/** How long opening a connection, or waiting for one of the pool, may take, in ms. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Idle time before the first TCP keepalive probe on a LISTEN connection, in ms. */
const LISTEN_KEEPALIVE_MS = 10_000;

/**
 * @internal Makes the backend the configuration names. Loads ioredis, `pg` or PGlite only when
 * they are used (each is an optional peer) and opens no connection: that happens on first use.
 */
export async function createBackend(config: TaskQueueConfig): Promise<QueueBackend> {
  const { backend } = config;
  const where = describeBackend(backend);
  switch (backend.kind) {
    case 'redis': {
      const { Redis, Cluster } = await load('ioredis', () => import('ioredis'));
      return new RedisBackend({ Redis, Cluster }, backend.connection, backend.prefix, where);
    }
    case 'postgres':
      return new PostgresBackend(await postgresSetup(backend, config.migrate), where);
    case 'pglite':
      return new PostgresBackend(await pgliteSetup(backend, config.migrate), where);
  }
}

type PostgresOptions = Extract<BackendOptions, { kind: 'postgres' }>;
type PGliteOptions = Extract<BackendOptions, { kind: 'pglite' }>;

async function postgresSetup(
  { source, schema }: PostgresOptions,
  migrate: boolean,
): Promise<PostgresSetup> {
  if ('pool' in source) {
    const { pool } = source;
    const { options } = pool as { options?: { keepAlive?: boolean } };
    return {
      kind: 'postgres',
      pool,
      listenClient: () => pool.connect(),
      keepAlive: Boolean(options?.keepAlive),
      schema,
      migrate,
      close: async () => undefined,
    };
  }
  const pg = await load('pg', () => import('pg'));
  // `schema` is ours (resolved into `schema` above), not a node-postgres setting.
  const settings: PostgresPoolConfig = {
    ...('url' in source ? { connectionString: source.url } : source.config),
  };
  delete settings.schema;
  const searchPath = `-c search_path="${schema}"`;
  const config = {
    // Also how long a query waits for a free connection of the pool: generous, since workers
    // at full concurrency queue up for the pool (an enqueue's own wait is bounded elsewhere).
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ...settings,
    options:
      typeof settings.options === 'string' ? `${settings.options} ${searchPath}` : searchPath,
  };
  const pool = new pg.default.Pool(config);
  return {
    kind: 'postgres',
    pool: pool as unknown as PgPool,
    // A LISTEN connection of its own, so a long wait never takes a slot of the query pool.
    listenClient: async () => {
      const client = new pg.default.Client({
        ...config,
        keepAlive: true,
        keepAliveInitialDelayMillis: LISTEN_KEEPALIVE_MS,
      });
      await client.connect();
      const release = () => void client.end().catch(() => undefined);
      return Object.assign(client, { release });
    },
    keepAlive: true,
    schema,
    migrate,
    close: () => pool.end(),
  };
}

async function pgliteSetup({ source, schema }: PGliteOptions, migrate: boolean) {
  let owned: { close(): Promise<void> } | undefined;
  let db: PGliteLike;
  if ('db' in source) {
    db = source.db;
  } else {
    const { PGlite } = await load('@electric-sql/pglite', () => import('@electric-sql/pglite'));
    const created = new PGlite(source.dataDir);
    db = created;
    owned = created;
  }
  const pool = new PGlitePool(db, { searchPath: `"${schema}"` });
  const setup: PostgresSetup = {
    kind: 'pglite',
    pool,
    db,
    listenClient: () => pool.connect(),
    keepAlive: true,
    schema,
    migrate,
    close: async () => {
      await pool.end();
      await owned?.close();
    },
  };
  return setup;
}

/** Imports an optional package, or says which one to install. */
async function load<T>(name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    throw new TaskQueueConfigError(
      `TaskQueueModule: this 'connection' needs the package '${name}', which could not be ` +
        `loaded (${error instanceof Error ? error.message : String(error)}). Install it: ` +
        `npm install ${name}`,
      { cause: error },
    );
  }
}
