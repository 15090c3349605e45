import type { PgNotification, PgPool, PgPoolClient } from 'bullmq';
import type { PostgresSession } from './postgres.session.js';

/** Channel on which abort requests are announced, for every schema (the payload names it). */
const ABORT_CHANNEL = 'task_queue_abort';

/**
 * @internal How `abort()` reaches a job on PostgreSQL: BullMQ's deferred-failure mark on the
 * job row (the next worker to take it fails it without running it), and a NOTIFY that the
 * process running it hears on the application's LISTEN connection (listened to again on each
 * connection after a drop). The mark is written on BullMQ's `job` table, which has no public way
 * to fail a job that is not active; test/semantics.e2e-spec.ts pins it on PostgreSQL and PGlite.
 */
export class PostgresAborts {
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly pool: PgPool,
    private readonly session: PostgresSession,
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

  /**
   * Calls `onAbort` for each request on `queues` of `schema`, from any process, until closed.
   * Resolves once listening, or once the connection is known to be down: then it listens as
   * soon as the connection is back.
   */
  async listen(
    schema: string,
    queues: readonly string[],
    onAbort: (queue: string, id: string) => void,
  ): Promise<void> {
    const wanted = new Set(queues);
    // The connection carries BullMQ's notifications too.
    const onNotification = ({ channel, payload }: PgNotification) => {
      if (channel !== ABORT_CHANNEL) return;
      const [inSchema, queue, id] = JSON.parse(payload ?? '[]') as string[];
      if (inSchema === schema && wanted.has(queue)) onAbort(queue, id);
    };
    const hook = async (client: PgPoolClient) => {
      client.on('notification', onNotification);
      await client.query(`LISTEN ${ABORT_CHANNEL}`);
    };
    this.stops.push(() => this.session.offOpen(hook));
    await this.session.onOpen(hook).catch(() => undefined);
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}
