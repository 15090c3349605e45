import type { PgPool } from 'bullmq';
import type { PostgresReadiness } from './postgres.readiness.js';

/** The table of the jobs waiting for events, in the queues' schema. */
const TABLE = 'task_queue_event_waiter';

/**
 * @internal The index of the jobs waiting for events on PostgreSQL: a table of the queues'
 * schema, keyed by event name and waiter, made by the migrator or on first use (beside BullMQ's
 * own tables, which its migrations own). A send reads the rows of one event name, by its primary key.
 */
export class PostgresEventWaiters {
  private table?: Promise<void>;

  constructor(
    private readonly pool: PgPool,
    private readonly readiness: Pick<PostgresReadiness, 'schemaReady'>,
  ) {}

  async add(event: string, field: string, body: string): Promise<void> {
    await this.ready();
    await this.pool.query(
      `INSERT INTO ${TABLE} (event, waiter, body) VALUES ($1, $2, $3)
       ON CONFLICT (event, waiter) DO UPDATE SET body = EXCLUDED.body`,
      [event, field, body],
    );
  }

  async take(event: string, field: string): Promise<boolean> {
    await this.ready();
    const { rows } = await this.pool.query(
      `DELETE FROM ${TABLE} WHERE event = $1 AND waiter = $2 RETURNING 1 AS taken`,
      [event, field],
    );
    return rows.length > 0;
  }

  async list(event: string): Promise<string[]> {
    await this.ready();
    const { rows } = await this.pool.query<{ body: string }>(
      `SELECT body FROM ${TABLE} WHERE event = $1`,
      [event],
    );
    return rows.map((row) => row.body);
  }

  /**
   * Makes the table once (again after a failure: the server may come back); the migrator calls
   * it too, for applications started with `migrate: false`.
   */
  ready(): Promise<void> {
    if (!this.table) {
      const table = this.create();
      this.table = table;
      table.catch(() => this.table === table && (this.table = undefined));
    }
    return this.table;
  }

  private async create(): Promise<void> {
    await this.readiness.schemaReady();
    const ddl = `CREATE TABLE IF NOT EXISTS ${TABLE} (
      event text NOT NULL, waiter text NOT NULL, body text NOT NULL,
      PRIMARY KEY (event, waiter))`;
    try {
      await this.pool.query(ddl);
    } catch {
      // Two processes creating it at once: one of them fails on the catalog; the table is there.
      await this.pool.query(ddl);
    }
  }
}
