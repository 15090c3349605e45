import {
  PostgresConnection,
  PostgresQueueBackend,
  type BackendFactory,
  type PgPool,
  type PgPoolClient,
  type PostgresConnectionOptions,
} from 'bullmq';

/**
 * @internal What every BullMQ object of one application shares on PostgreSQL: the pool that
 * runs queries, how a dedicated LISTEN connection is opened, and the schema, known once
 * migrations (if any) have run.
 */
export interface SharedPostgres {
  pool: PgPool;
  /** A connection of its own for a long-lived LISTEN; `release()` closes it. */
  listenClient(): Promise<PgPoolClient>;
  /** Whether LISTEN connections detect a silent drop (TCP keepalive). */
  keepAlive: boolean;
  /** Resolves the schema once it is ready for BullMQ (migrated when migrations are on). */
  schemaReady(): Promise<string>;
}

/**
 * BullMQ's connection, given a pool of ours: it reads the schema we resolved instead of its
 * default one. (Given a ready-made pool, BullMQ checks the schema `bullmq`, and its own pool
 * building `require()`s `pg`, which native ESM cannot.) The pool is a view of the shared one
 * per BullMQ object, since BullMQ adds an error listener to its pool and checks LISTEN
 * connections out of it for good.
 */
class NamespacedConnection extends PostgresConnection {
  constructor(private readonly shared: SharedPostgres) {
    super(poolView(shared));
  }

  override async waitUntilReady(): Promise<void> {
    const schema = await this.shared.schemaReady();
    if (this.schema !== schema) Object.defineProperty(this, 'schema', { value: schema });
    return super.waitUntilReady();
  }
}

/** The shared pool as BullMQ sees it: queries go to it, LISTEN connections are our own. */
function poolView(shared: SharedPostgres): PgPool {
  const view = {
    options: { keepAlive: shared.keepAlive },
    query: (text: string, params?: readonly unknown[]) => shared.pool.query(text, params),
    connect: () => shared.listenClient(),
    end: async () => undefined,
    // Pool errors are reported once, by the backend that owns the pool.
    on: () => view,
    removeAllListeners: () => view,
  };
  return view as PgPool;
}

/**
 * @internal BullMQ's PostgreSQL backend factory for `shared`, the last constructor argument of
 * its `Queue`, `Worker` and `QueueEvents`. Names the dedicated connection of workers and event
 * streams as BullMQ's own `createPostgresBackend` does, so `getWorkers()` finds them.
 */
export function postgresBackendFactory(
  shared: SharedPostgres,
): BackendFactory<PostgresQueueBackend, PostgresConnectionOptions> {
  return (name, opts, factoryOpts = {}) => {
    const connection = new NamespacedConnection(shared);
    const workerName = (opts as { name?: string }).name;
    const listenName = factoryOpts.withBlockingConnection
      ? `${name}${workerName ? `:w:${workerName}` : ''}`
      : factoryOpts.blocking
        ? `${name}:qe`
        : undefined;
    return new PostgresQueueBackend(connection, name, opts, true, listenName);
  };
}
