import { setTimeout as sleep } from 'node:timers/promises';
import type { PgPool } from 'bullmq';
import type { Reachability } from '../../observability/backend-health.js';
import type { BackendOutage } from '../backend-outage.js';
import { answersQuery, textOf } from './postgres.connection.js';
import type { PostgresSchema } from './postgres.schema.js';
import type { PostgresTransactions } from './postgres.transactions.js';

/** How often an unreachable server is tried again while waiting for it, in ms. */
const RETRY_MS = 1000;

/**
 * @internal Whether the PostgreSQL server answers and the queues' schema is ready: the state the
 * backend and its parts (the event waiters' table) read, kept in one place. While an outage goes
 * on, it asks the server until it answers, since no connection says when the server is back.
 */
export class PostgresReadiness {
  private ready = false;
  /** Whether the schema was found ready once (it stays so). */
  private prepared = false;
  /** Why the last check found the server unreachable. */
  private error?: string;
  private stopping = false;

  constructor(
    private readonly pool: PgPool,
    private readonly kind: 'postgres' | 'pglite',
    private readonly schema: PostgresSchema,
    private readonly transactions: PostgresTransactions,
    private readonly outage: BackendOutage,
  ) {
    outage.onStart(() => void this.probeUntilReachable());
  }

  /** Whether the backend was reachable, with its schema ready, at its last use. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Why the last check found the server unreachable, if it did. */
  get lastError(): string | undefined {
    return this.error;
  }

  /** The schema, ready for BullMQ (migrated, or checked when migrations are off). */
  schemaReady(): Promise<string> {
    return this.schema.whenReady().then(async (schema) => {
      // Named before any enqueue: inside a caller's PGlite transaction, it would wait.
      if (this.kind === 'pglite') await this.transactions.nameInstance();
      this.ready = this.prepared = true;
      return schema;
    });
  }

  /**
   * Whether the server answers within `timeoutMs`, and then the schema is ready (preparing it,
   * migrations included, is not held to that time: a first start may take a while).
   */
  async whenReady(timeoutMs: number): Promise<boolean> {
    if (!(await this.ping(timeoutMs)).reachable) return false;
    try {
      await this.schemaReady();
      return true;
    } catch (error) {
      if (this.schema.notMigrated) throw this.schema.notMigrated;
      this.ready = false;
      this.error = textOf(error);
      return false;
    }
  }

  /**
   * Whether the server answers a trivial query within `timeoutMs`. PGlite runs in this process:
   * it cannot be out of reach, only slow to start, so it gets the time it takes.
   */
  async ping(timeoutMs: number): Promise<Reachability> {
    const result = await answersQuery(this.pool, timeoutMs, this.kind === 'pglite');
    // Reachable again, ready again if the schema was ready once (it stays so).
    this.ready = result.reachable && this.prepared;
    if (result.reachable) this.outage.reachable();
    this.error = result.error;
    return result;
  }

  /** Calls `listener` once the server answers; returns a function to stop that. */
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

  /** Stops asking the server: the backend is closing. */
  close(): void {
    this.stopping = true;
  }

  private async probeUntilReachable(): Promise<void> {
    while (this.outage.ongoing && !this.stopping) {
      await sleep(RETRY_MS);
      if (!this.stopping) await this.ping(RETRY_MS);
    }
  }
}
