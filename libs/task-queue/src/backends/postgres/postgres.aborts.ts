import { setTimeout as sleep } from 'node:timers/promises';
import type { PgNotification, PgPool, PgPoolClient } from 'bullmq';

/** Channel on which abort requests are announced, for every schema (the payload names it). */
const ABORT_CHANNEL = 'task_queue_abort';

/** How long to wait before listening again after the connection failed, in ms. */
const RETRY_MS = 1000;

/**
 * @internal How `abort()` reaches a job on PostgreSQL: BullMQ's deferred-failure mark on the
 * job row (the next worker to take it fails it without running it), and a NOTIFY that the
 * process running it hears on its LISTEN connection, reopened whenever it drops.
 */
export class PostgresAborts {
  private readonly listeners: PgPoolClient[] = [];
  private closed = false;

  constructor(
    private readonly pool: PgPool,
    private readonly listenClient: () => Promise<PgPoolClient>,
  ) {}

  /** Marks an unfinished job aborted: 1 marked, 0 already finished, -1 no such job. */
  async mark(queue: string, id: string, reason: string): Promise<-1 | 0 | 1> {
    const { rows } = await this.pool.query<{ state: string | null; marked: boolean }>(
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

  async publish(schema: string, queue: string, id: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [
      ABORT_CHANNEL,
      JSON.stringify([schema, queue, id]),
    ]);
  }

  /** Calls `onAbort` for each request on `queues` of `schema`, from any process, until closed. */
  async listen(
    schema: string,
    queues: readonly string[],
    onAbort: (queue: string, id: string) => void,
  ): Promise<void> {
    const wanted = new Set(queues);
    const onNotification = ({ payload }: PgNotification) => {
      const [inSchema, queue, id] = JSON.parse(payload ?? '[]') as string[];
      if (inSchema === schema && wanted.has(queue)) onAbort(queue, id);
    };
    const open = async (): Promise<void> => {
      while (!this.closed) {
        try {
          const client = await this.listenClient();
          // Closed while connecting (an application closed right after it started).
          if (this.closed) return client.release(true);
          this.listeners.push(client);
          client.on('notification', onNotification);
          client.on('error', () => {
            this.drop(client);
            void open();
          });
          await client.query(`LISTEN ${ABORT_CHANNEL}`);
          return;
        } catch {
          await sleep(RETRY_MS);
        }
      }
    };
    await open();
  }

  close(): void {
    this.closed = true;
    for (const client of [...this.listeners]) this.drop(client);
  }

  private drop(client: PgPoolClient): void {
    const index = this.listeners.indexOf(client);
    if (index < 0) return;
    this.listeners.splice(index, 1);
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.release(true);
  }
}
