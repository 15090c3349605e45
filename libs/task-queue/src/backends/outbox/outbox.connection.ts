import { TaskQueueConfigError } from '../../errors/index.js';
import { outboxMessages } from './outbox.messages.js';
import type { OutboxConfig } from './outbox.options.js';
import { OutboxSql } from './outbox.sql.js';

/** How long opening a connection to the outbox's database may take, in ms. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Connections of the outbox's own pool: the relay's two batches in flight, and a spare. */
const POOL_SIZE = 3;

/** What the outbox uses of a node-postgres client. */
export interface OutboxClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  release(error?: Error | boolean): void;
}

/** What the outbox uses of a node-postgres pool. */
interface OutboxPool {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  connect(): Promise<OutboxClient>;
  end(): Promise<void>;
}

/**
 * @internal The application's PostgreSQL as the outbox uses it: a small pool of its own (or
 * the `Pool` given, which it never ends), the outbox table's migration, and LISTEN connections
 * for the relay. Opens nothing until first used; loads `pg` only for a URL.
 */
export class OutboxConnection {
  readonly sql: OutboxSql;
  private opened?: Promise<OutboxPool>;
  private ready?: Promise<void>;
  private closed = false;

  constructor(
    private readonly config: OutboxConfig,
    private readonly migrateAtStart: boolean,
  ) {
    this.sql = new OutboxSql(config.schema);
  }

  /**
   * Resolves once the outbox table can take rows: made (when the application may migrate) or
   * found. Done once; tried again after a failure, since the database may come up later.
   */
  whenReady(): Promise<void> {
    if (!this.ready) {
      const ready = this.migrateAtStart ? this.migrate() : this.check();
      this.ready = ready;
      ready.catch(() => this.ready === ready && (this.ready = undefined));
    }
    return this.ready;
  }

  /** Creates the outbox's schema and table if missing; safe from several processes at once. */
  async migrate(): Promise<void> {
    const client = await (await this.pool()).connect();
    try {
      await client.query('BEGIN');
      for (const statement of this.sql.migration) await client.query(statement);
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(error as Error);
      throw error;
    }
  }

  private async check(): Promise<void> {
    const { rows } = await this.query(this.sql.exists);
    if (!(rows[0] as { present: boolean }).present) {
      throw new TaskQueueConfigError(outboxMessages.notMigrated(this.config.schema));
    }
  }

  async query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    return (await this.pool()).query(text, values);
  }

  /** A client of the pool, for one transaction; the caller releases it. */
  async client(): Promise<OutboxClient> {
    return (await this.pool()).connect();
  }

  /**
   * A connection to LISTEN on: one of its own for a URL (the pool stays free for the relay's
   * transactions), else one of the given pool's. Released with `release()`.
   */
  async listenClient(): Promise<OutboxClient> {
    const { source } = this.config;
    if ('pool' in source) return (source.pool as unknown as OutboxPool).connect();
    const pg = await loadPg();
    const client = new pg.Client({
      connectionString: source.url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    await client.connect();
    const release = () => void client.end().catch(() => undefined);
    return Object.assign(client, { release });
  }

  private pool(): Promise<OutboxPool> {
    if (this.closed) return Promise.reject(new Error('The outbox connection is closed.'));
    if (!this.opened) {
      const { source } = this.config;
      this.opened =
        'pool' in source
          ? Promise.resolve(source.pool as unknown as OutboxPool)
          : loadPg().then(
              (pg) =>
                new pg.Pool({
                  connectionString: source.url,
                  max: POOL_SIZE,
                  connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
                }) as unknown as OutboxPool,
            );
    }
    return this.opened;
  }

  /** Ends the pool this made (a `Pool` given in the options stays open: it is the caller's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.opened || 'pool' in this.config.source) return;
    const pool = await this.opened.catch(() => undefined);
    await pool?.end().catch(() => undefined);
  }
}

/** node-postgres, an optional peer: loaded only for an outbox given as a URL. */
async function loadPg() {
  try {
    return (await import('pg')).default;
  } catch (error) {
    throw new TaskQueueConfigError(
      outboxMessages.pgNeeded(error instanceof Error ? error.message : String(error)),
      { cause: error },
    );
  }
}
