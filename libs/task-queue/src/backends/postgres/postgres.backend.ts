import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertSchemaCompatibility,
  Queue,
  QueueEvents,
  runMigrations,
  SchemaMigrationRequiredError,
  Worker,
  type PgNotification,
  type PgPool,
  type PgPoolClient,
  type Processor,
} from 'bullmq';
import { BackendUnavailableError, TaskQueueConfigError } from '../../errors/index.js';
import { messages } from '../../task-queue.messages.js';
import {
  QueueBackend,
  type QueueRole,
  type Reachability,
  type WorkerSettings,
} from '../queue-backend.js';
import { storeName } from '../store-name.js';
import { postgresBackendFactory, type SharedPostgres } from './namespaced.connection.js';

/** Channel on which abort requests are announced, for every schema (the payload names it). */
const ABORT_CHANNEL = 'task_queue_abort';

/** How often a wait for a job's outcome also reads the job's state, in ms. */
const EVENT_POLL_MS = 500;

/** How often an unreachable server is tried again by the listeners and waits here, in ms. */
const RETRY_MS = 1000;

/** How one PostgreSQL backend opens its connections, per kind of `connection`. */
export interface PostgresSetup {
  kind: 'postgres' | 'pglite';
  /** The pool every query goes through. */
  pool: PgPool;
  /** Opens a connection of its own for a long-lived LISTEN (released = closed). */
  listenClient(): Promise<PgPoolClient>;
  keepAlive: boolean;
  /** The schema, or `undefined` to read it from the pool's `search_path`. */
  schema: string | undefined;
  /** Run BullMQ's migrations before first use (else only check the schema is current). */
  migrate: boolean;
  /** Closes what this backend opened (the pool, the PGlite), not what the user gave. */
  close(): Promise<void>;
}

/**
 * @internal Queues on PostgreSQL with BullMQ's own PostgreSQL backend, on a server or on an
 * embedded PGlite. Every BullMQ object shares one pool; aborts cross processes by LISTEN/NOTIFY,
 * and the lock is a PostgreSQL advisory lock.
 */
export class PostgresBackend extends QueueBackend {
  readonly kind: 'postgres' | 'pglite';
  /**
   * BullMQ's PostgreSQL event stream pages by event id, and ids of concurrent transactions can
   * commit out of order: a reader may step past an event that commits a moment later.
   */
  override readonly eventPollMs = EVENT_POLL_MS;
  private readonly shared: SharedPostgres;
  private readonly factory;
  private schema?: Promise<string>;
  private ready = false;
  /** Set while the schema is known to need migrations that this application may not run. */
  private schemaError?: Error;
  private stopping = false;
  private readonly listeners: PgPoolClient[] = [];

  constructor(private readonly setup: PostgresSetup) {
    super();
    this.kind = setup.kind;
    this.shared = {
      pool: setup.pool,
      listenClient: () => setup.listenClient(),
      keepAlive: setup.keepAlive,
      schemaReady: () => this.schemaReady(),
    };
    this.factory = postgresBackendFactory(this.shared);
    setup.pool.on('error', (error) =>
      this.logger.error(`PostgreSQL connection failed: ${error.message}`),
    );
  }

  /**
   * The schema, migrated if migrations are on; runs once, and again after a failure (the
   * server may come up later).
   */
  schemaReady(): Promise<string> {
    if (!this.schema) {
      const schema = this.prepareSchema();
      this.schema = schema;
      schema.then(
        () => (this.ready = true),
        () => this.schema === schema && (this.schema = undefined),
      );
    }
    return this.schema;
  }

  private async prepareSchema(): Promise<string> {
    const schema = this.setup.schema ?? (await this.searchPathSchema());
    if (this.setup.migrate) {
      await this.runMigrations(schema);
      return schema;
    }
    try {
      await assertSchemaCompatibility(this.setup.pool, schema);
    } catch (error) {
      if (!(error instanceof SchemaMigrationRequiredError)) throw error;
      const store = storeName(this.kind);
      this.schemaError = new TaskQueueConfigError(
        messages.schemaNotMigrated(store, schema, error.message),
        { cause: error },
      );
      throw this.schemaError;
    }
    return schema;
  }

  override async migrate(): Promise<{ schema: string; version: number }> {
    const schema = this.setup.schema ?? (await this.searchPathSchema());
    const version = await this.runMigrations(schema);
    this.schemaError = undefined;
    return { schema, version };
  }

  /** BullMQ's migrations, under its own advisory lock, on one connection. */
  private async runMigrations(schema: string): Promise<number> {
    const client = await this.setup.pool.connect();
    try {
      return await runMigrations(client, schema);
    } finally {
      client.release();
    }
  }

  /** The first schema of a ready-made pool's `search_path`, where its queries resolve. */
  private async searchPathSchema(): Promise<string> {
    const { rows } = await this.setup.pool.query<{ path: string }>(
      `SELECT current_setting('search_path') AS path`,
    );
    const first = (rows[0]?.path ?? '')
      .split(',')
      .map((part) => part.trim().replace(/^"(.*)"$/, '$1'))
      .find((part) => part && part !== '$user');
    return first ?? 'public';
  }

  // BullMQ types its classes by backend; the rest of the library uses their common API, so
  // they are handed out under the default (Redis) type parameters.
  protected makeQueue(name: string, _role: QueueRole): Queue {
    return new Queue(name, { connection: this.shared.pool }, this.factory) as unknown as Queue;
  }

  protected makeQueueEvents(name: string): QueueEvents {
    const events = new QueueEvents(name, { connection: this.shared.pool }, this.factory);
    return events as unknown as QueueEvents;
  }

  protected makeWorker(name: string, processor: Processor, settings: WorkerSettings): Worker {
    const options = { ...settings, connection: this.shared.pool };
    return new Worker(name, processor, options, this.factory) as unknown as Worker;
  }

  /** PGlite runs in this process only, and its one session cannot name each worker. */
  override workersCount(name: string): Promise<number> {
    if (this.kind === 'pglite') return Promise.resolve(this.localWorkers(name));
    return super.workersCount(name);
  }

  isReady(): boolean {
    return this.ready;
  }

  async whenReady(timeoutMs: number): Promise<boolean> {
    return (await this.ping(timeoutMs)).reachable;
  }

  async ping(timeoutMs: number): Promise<Reachability> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Reachability>((resolve) => {
      timer = setTimeout(
        () => resolve({ reachable: false, error: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
    const answer = this.schemaReady()
      .then(() => this.setup.pool.query('SELECT 1'))
      .then(
        (): Reachability => ({ reachable: true }),
        (error: unknown): Reachability => ({ reachable: false, error: textOf(error) }),
      );
    try {
      const result = await Promise.race([answer, late]);
      this.ready = result.reachable;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  unavailable(queue: string, waitedMs: number): Error {
    if (this.schemaError) return this.schemaError;
    return new BackendUnavailableError(
      messages.backendUnavailable(queue, storeName(this.kind), `no answer within ${waitedMs} ms`),
    );
  }

  async outageOf(error: unknown, queue: string): Promise<Error | undefined> {
    if (error instanceof BackendUnavailableError) return error;
    const { reachable, error: why } = await this.ping(1000);
    if (reachable) return undefined;
    return new BackendUnavailableError(
      messages.backendUnavailable(queue, storeName(this.kind), `${textOf(error)}; ${why}`),
      { cause: error },
    );
  }

  async markAborted(queue: string, id: string, reason: string): Promise<-1 | 0 | 1> {
    await this.schemaReady();
    const { rows } = await this.setup.pool.query<{ state: string; marked: boolean }>(
      `WITH found AS (SELECT state FROM job WHERE queue = $1 AND id = $2),
            marked AS (
              UPDATE job SET deferred_failure = $3
               WHERE queue = $1 AND id = $2 AND state NOT IN ('completed', 'failed')
               RETURNING 1)
       SELECT (SELECT state::text FROM found) AS state, EXISTS (SELECT 1 FROM marked) AS marked`,
      [queue, id, reason],
    );
    const row = rows[0];
    if (!row?.state) return -1;
    return row.marked ? 1 : 0;
  }

  async publishAbort(queue: string, id: string): Promise<void> {
    const schema = await this.schemaReady();
    await this.setup.pool.query('SELECT pg_notify($1, $2)', [
      ABORT_CHANNEL,
      JSON.stringify([schema, queue, id]),
    ]);
  }

  /** Listens on a connection of its own, opened again whenever it drops. */
  async subscribeAborts(
    queues: readonly string[],
    onAbort: (queue: string, id: string) => void,
  ): Promise<void> {
    const schema = await this.schemaReady();
    const wanted = new Set(queues);
    const onNotification = ({ payload }: PgNotification) => {
      const [inSchema, queue, id] = JSON.parse(payload ?? '[]') as string[];
      if (inSchema === schema && wanted.has(queue)) onAbort(queue, id);
    };
    const listen = async (): Promise<void> => {
      while (!this.stopping) {
        try {
          const client = await this.setup.listenClient();
          this.listeners.push(client);
          client.on('notification', onNotification);
          client.on('error', () => {
            this.drop(client);
            void listen();
          });
          await client.query(`LISTEN ${ABORT_CHANNEL}`);
          return;
        } catch {
          await sleep(RETRY_MS);
        }
      }
    };
    await listen();
  }

  private drop(client: PgPoolClient): void {
    const index = this.listeners.indexOf(client);
    if (index < 0) return;
    this.listeners.splice(index, 1);
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.release(true);
  }

  /** A session-level advisory lock, held on a connection of its own while `work` runs. */
  async withLock<T>(
    name: string,
    work: () => Promise<T>,
    cancelled: () => boolean,
  ): Promise<T | undefined> {
    const schema = await this.schemaReady();
    const key = `task-queue:${schema}:${name}`;
    const client = await this.setup.listenClient();
    client.on('error', () => undefined);
    try {
      for (;;) {
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
          [key],
        );
        if (rows[0]?.locked) break;
        if (cancelled()) return undefined;
        await sleep(100);
      }
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
      }
    } finally {
      client.release(true);
    }
  }

  onceReachable(listener: () => void): () => void {
    let stopped = false;
    void (async () => {
      while (!stopped && !this.stopping) {
        if ((await this.ping(RETRY_MS)).reachable) {
          if (!stopped) listener();
          return;
        }
        await sleep(RETRY_MS);
      }
    })();
    return () => (stopped = true);
  }

  disconnectWorkers(): void {
    // Workers share the pool; closing it (last, in closeConnections) cuts them off.
  }

  protected async closeConnections(): Promise<void> {
    this.stopping = true;
    for (const client of [...this.listeners]) this.drop(client);
    await this.setup.close();
  }
}

const textOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
