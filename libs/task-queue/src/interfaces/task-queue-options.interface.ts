import type { ClusterOptions, PgPool, RedisOptions } from '../backends/bullmq.connection-types.js';
import type { PGliteLike } from '../backends/postgres/pglite.pool.js';
import type { RetentionOptions } from './task-options.interface.js';
import type { TaskQueueClsOptions } from './task-queue-cls-options.interface.js';
import type { TaskQueueMetricsOptions } from './task-queue-metrics-options.interface.js';

/**
 * A Redis Cluster to connect to: some of its nodes (the rest are discovered) and ioredis
 * `Cluster` options. Give the module a hash-tag `prefix` such as `'{bull}'` so that each
 * queue's keys live in one slot, as BullMQ's scripts need.
 *
 * @example
 * ```ts
 * TaskQueueModule.forRoot({
 *   connection: { cluster: { nodes: [{ host: '10.0.0.1', port: 6379 }] } },
 *   prefix: '{bull}',
 * })
 * ```
 */
export interface ClusterConnection {
  /** The cluster to connect to. */
  cluster: {
    /** Some of the cluster's nodes, to start from; ioredis discovers the others. */
    nodes: ClusterNode[];
    /** ioredis `Cluster` options (`redisOptions`, `natMap`, ...). Default: ioredis's own. */
    options?: ClusterOptions;
  };
}

/** A node of a Redis Cluster, as ioredis takes it: a URL, a port, or host and port. */
export type ClusterNode =
  | string
  | number
  | {
      /** The node's host name or address. Default `'localhost'` (ioredis's). */
      host?: string;
      /** The node's port. Default 6379. */
      port?: number;
    };

/** A `redis://` or `rediss://` URL, ioredis options, or a Redis Cluster. */
export type RedisConnection = string | RedisOptions | ClusterConnection;

/**
 * node-postgres pool settings (any `pg.PoolConfig` field), plus the PostgreSQL `schema` the
 * queues live in (default: the module's `prefix` if given, else `bullmq`).
 */
export interface PostgresPoolConfig {
  /** A `postgres://` URL; the fields below, when given as well, win over its parts. */
  connectionString?: string;
  /** The server's host name or address (node-postgres's default: `PGHOST`, else `localhost`). */
  host?: string;
  /** The server's port (node-postgres's default: `PGPORT`, else 5432). */
  port?: number;
  /** The role to connect as (node-postgres's default: `PGUSER`, else the OS user). */
  user?: string;
  /** The role's password (node-postgres's default: `PGPASSWORD`). */
  password?: string;
  /** The database (node-postgres's default: `PGDATABASE`, else the user's name). */
  database?: string;
  /** Connections in the query pool; the application opens one more, for LISTEN, whatever its queues. */
  max?: number;
  /**
   * The schema the queues' tables live in. Default: the module's
   * `prefix` if given, else `bullmq`; when both are given, `schema` wins.
   */
  schema?: string;
  [option: string]: unknown;
}

/**
 * PostgreSQL, through BullMQ's own PostgreSQL backend: a `postgres://` URL, pool settings, or a
 * ready-made `pg.Pool` (whose own `search_path` then names the schema).
 *
 * @example
 * ```ts
 * TaskQueueModule.forRoot({
 *   connection: { postgres: { connectionString: process.env.DATABASE_URL, schema: 'tasks' } },
 * })
 * ```
 */
export interface PostgresBackendConnection {
  /**
   * A `postgres://` or `postgresql://` URL, pool settings, or a `pg.Pool` that the module uses
   * as it is (and does not end); with a pool, its own `search_path` names the schema, and a
   * module `prefix` is a bootstrap error.
   */
  postgres: string | PostgresPoolConfig | PgPool;
}

/**
 * An embedded PostgreSQL (PGlite) in this process, shared by applications of this process and
 * dedicated to the queues: one PGlite is one database session.
 */
export interface PGliteBackendConnection {
  /** An open `PGlite` instance (`new PGlite(dir)`), which the module does not close. */
  pglite: PGliteLike;
}

/**
 * Where the queues live: Redis (a `redis://` or `rediss://` URL, ioredis options, a Cluster),
 * PostgreSQL (a `postgres://` or `postgresql://` URL, `{ postgres }`), or an embedded
 * PostgreSQL in this process (`'pglite:memory'`, `'pglite:<directory>'`, `{ pglite }`).
 */
export type TaskQueueConnection =
  RedisConnection | PostgresBackendConnection | PGliteBackendConnection;

/** Settings of one queue. */
export interface QueueSettings {
  /** Jobs of this queue run at once in one worker process. Default 10. */
  concurrency?: number;
  /**
   * At most `max` jobs of this queue start in any `per` seconds, across all processes, wherever
   * that window falls: starts are spread evenly (one every `per / max` seconds). Default: none.
   *
   * @example
   * ```ts
   * TaskQueueModule.forRoot({ queues: { emails: { rateLimit: { max: 100, per: 60 } } } })
   * ```
   */
  rateLimit?: QueueRateLimit;
  /**
   * At most this many jobs of this queue run at once, across all processes (BullMQ's global
   * concurrency, kept in the backend). Written by every process that runs workers for the
   * queue when it starts; without it, those processes remove the limit. Default: none.
   */
  globalConcurrency?: number;
  /**
   * Jobs of this queue a worker process claims ahead of its free slots, so that a slot that
   * frees finds its next job already taken, and the backend records completions and claims for
   * many jobs in one statement. Each job claimed ahead is locked to this worker (its lock kept
   * alive) and waits in it, in the order claimed, until one of the `concurrency` slots frees:
   * other workers cannot take it meanwhile. A job whose worker dies goes back to the queue once
   * its lock expires; on shutdown, and when this worker pauses the queue (`ctx.rateLimit()`),
   * the jobs claimed ahead go back to the queue at once without using a retry (their `attempts`
   * count the claim). The queue's active jobs (`stats()`, Bull Board) count them. Not allowed with `rateLimit` or
   * `globalConcurrency`, which the backend counts at the claim. Worth it for many short jobs,
   * above all on PostgreSQL (docs/postgres.md, "Claiming ahead"). Default 0.
   *
   * @example
   * ```ts
   * TaskQueueModule.forRoot({ queues: { thumbnails: { concurrency: 10, prefetch: 100 } } })
   * ```
   */
  prefetch?: number;
}

/** A rate limit of a queue: `max` job starts per `per` seconds. */
export interface QueueRateLimit {
  /** Most jobs started in any `per` seconds: a positive integer. */
  max: number;
  /** The window, in seconds (fractions allowed, at least 0.001). */
  per: number;
}

/** Which queues this process works on, and how hard. */
export interface WorkerSettings {
  /** Queues to run workers for. Default: every configured queue. */
  queues?: string[];
  /** Overrides the per-queue concurrency for every queue this process works on. */
  concurrency?: number;
}

/**
 * Redis only: the application's PostgreSQL, where a transactional enqueue
 * (`enqueue(…, { transaction })`) writes its job, into an outbox table, in the caller's
 * transaction. The processes that run workers move each committed row to Redis, as a job whose
 * id is the row's.
 *
 * @example
 * ```ts
 * TaskQueueModule.forRoot({
 *   connection: 'redis://127.0.0.1:6379',
 *   outbox: { connection: process.env.DATABASE_URL },
 * })
 * ```
 */
export interface TaskQueueOutboxOptions {
  /** The application's database: a `postgres://` URL, or a `pg.Pool` (the module does not end it). */
  connection: string | PgPool;
  /** The schema of the outbox table, created when the application starts. Default `task_queue_outbox`. */
  schema?: string;
}

/**
 * Options of {@link TaskQueueModule.forRoot}.
 *
 * @example
 * ```ts
 * TaskQueueModule.forRoot({
 *   connection: 'redis://127.0.0.1:6379',
 *   queues: { default: { concurrency: 10 }, emails: { concurrency: 5 } },
 *   defaultQueue: 'default',
 * })
 * ```
 */
export interface TaskQueueModuleOptions {
  /**
   * Where the queues live. Redis: a `redis://` or `rediss://` URL, ioredis options, or
   * `{ cluster: { nodes, options? } }` (with a hash-tag `prefix`). PostgreSQL: a `postgres://`
   * URL or `{ postgres: url | PoolConfig & { schema? } | Pool }`. Embedded PostgreSQL in this
   * process: `'pglite:memory'`, `'pglite:<directory>'` or `{ pglite: db }`.
   * Default `redis://127.0.0.1:6379`.
   */
  connection?: TaskQueueConnection;
  /**
   * Seconds to wait for the backend at bootstrap; if it has not answered by then, the
   * bootstrap fails with a `BackendUnavailableError` (`RedisUnavailableError` on Redis) that
   * names the backend (its URL with the password masked) and what to check. A backend that
   * refuses at once is tried again until the time is up.
   *
   * Use it where a wrong URL or an unreachable backend should fail the deploy (a rolling update
   * that must not replace healthy instances with ones that cannot enqueue). Leave it unset
   * (the default) where the application must start while the backend is down: it then boots,
   * enqueues fail with `BackendUnavailableError` until the backend answers, and the workers
   * wait for it and reconnect on their own. On PGlite, which lives in this process, it only
   * waits for the database to open. A positive number of seconds (fractions allowed).
   *
   * @example
   * ```ts
   * TaskQueueModule.forRoot({ connection: process.env.REDIS_URL, failFast: 10 })
   * ```
   */
  failFast?: number;
  /** Queue names, or names with settings. Default `['default']`. */
  queues?: string[] | Record<string, QueueSettings>;
  /** Queue of tasks that name none. Must be one of `queues`. Default `'default'`. */
  defaultQueue?: string;
  /**
   * The namespace of the queues: the Redis key prefix (default `'bull'`; a hash tag such as
   * `'{bull}'` on Redis Cluster), or on PostgreSQL the schema, unless the connection names one
   * (default `bullmq`).
   */
  prefix?: string;
  /**
   * PostgreSQL (and the Redis `outbox`'s table): run the schema migrations when the
   * application starts (default `true`). With `false` the schema must be current already (migrated by a deploy step);
   * a schema that is not fails every enqueue with a message that says so.
   */
  migrate?: boolean;
  /**
   * Redis only: the application's PostgreSQL, for enqueues inside its transactions (see
   * {@link TaskQueueOutboxOptions}). Without it, `transaction` on Redis is an `InvalidOptionsError`.
   */
  outbox?: TaskQueueOutboxOptions;
  /** `true` (default) runs workers for every queue here; `false` only enqueues. */
  worker?: boolean | WorkerSettings;
  /**
   * Seconds a run may take when its task sets no `timeout`. Default 300; `0` means no limit.
   */
  defaultTimeout?: number;
  /**
   * Seconds active jobs get to finish when the application shuts down; past it their signals
   * abort and they go back on their queue to run again. Default 25.
   */
  shutdownGracePeriod?: number;
  /**
   * Largest payload `enqueue` accepts, in bytes of its JSON. Default 10 MiB (10485760): every
   * job's data is held in Redis memory and read by each worker that takes it.
   */
  maxPayloadBytes?: number;
  /** Finished jobs kept, unless a task says otherwise. */
  retention?: RetentionOptions;
  /**
   * Adds each job's payload to the log line written when it finishes. Default `false`: payloads
   * may hold personal data or secrets.
   */
  logPayloads?: boolean;
  /**
   * How the line written when a job finishes is made: `'text'` (default), `Job finished:`
   * and `key=value` fields; or `'json'`, an object handed to Nest's logger, for JSON loggers
   * (`new ConsoleLogger({ json: true })`, nestjs-pino) to write as one JSON line: `{ event:
   * 'job_finished', queue, task, jobId, attempt, outcome, durationSeconds, error?, until? }`.
   * `error` is the message of a run that failed; `until` (ISO 8601) is when a job that a run
   * suspended (`sleeping`, `waiting`) runs again at the latest.
   */
  jobLog?: 'text' | 'json';
  /**
   * Where the Prometheus metrics go, through the package `prom-client`: `{ registry }`, or
   * `{}` (default) for prom-client's default `register`; `false` records none. Without
   * prom-client installed (and no registry given) the module records none either.
   */
  metrics?: TaskQueueMetricsOptions | false;
  /**
   * `'distributed'`: methods decorated with `@nestjs/schedule`'s `@Cron()` and `@Interval()` run
   * once per tick across all processes, through the workers, as tasks on `defaultQueue` named by
   * the decorator's `name` when it is a valid task name, else `ClassName.methodName`.
   * `disabled: true` is not scheduled; `waitForCompletion: true` means `overlap: false`; a
   * `utcOffset` of whole hours runs in a fixed-offset zone. One-off `Date` crons and `@Timeout()`
   * still run in each process, on a timer. Do not import `ScheduleModule.forRoot()` as well.
   * Default: unset, leaving those decorators to `ScheduleModule`.
   *
   * @example
   * ```ts
   * TaskQueueModule.forRoot({ schedule: 'distributed' })
   * ```
   */
  schedule?: 'distributed';
  /**
   * @internal How per-job providers are made: `'compiled'` (default) builds the usual shapes
   * (classes taking singletons, the job and other such classes) with factories prepared at
   * bootstrap and leaves the rest to Nest's injector; `'injector'` leaves all of them to it.
   * Both behave alike (the tests run on each); the compiled factories only cost less per job.
   */
  perJobProviders?: 'compiled' | 'injector';
  /**
   * `nestjs-cls` (optional peer): CLS keys that jobs carry from their enqueuer to their run, and
   * whether an enqueue joins the `@Transactional()` method it is called in. Either needs
   * `ClsModule` in the application. See {@link TaskQueueClsOptions}.
   */
  cls?: TaskQueueClsOptions;
}
