import { randomUUID } from 'node:crypto';
import type { TaskTransaction } from '../../interfaces/task-transaction.interface.js';
import type { TaskTracing } from '../../observability/task-queue.tracing.js';
import type { StoredJob } from '../../producer/job-store.js';
import type { PreparedJob } from '../../producer/prepared-job.js';
import { flowSize, type PreparedFlow } from '../../producer/task-flow.js';
import { toFlowJob } from '../bullmq.job-options.js';
import type { OutboxConnection } from './outbox.connection.js';
import { flowRow, jobRow, type OutboxRow } from './outbox.rows.js';
import { OutboxTransactions } from './outbox.transactions.js';

/**
 * @internal The enqueue side of the outbox: writes jobs into the outbox table through the
 * caller's transaction, so they exist once it commits and never if it rolls back. Each job's
 * id (a UUID, which no BullMQ numeric id can be) is its row's, and its BullMQ job id once relayed.
 */
export class OutboxWriter {
  private readonly transactions: OutboxTransactions;

  constructor(
    private readonly connection: OutboxConnection,
    private readonly prefix: string,
    private readonly tracing: TaskTracing,
  ) {
    this.transactions = new OutboxTransactions(connection);
  }

  add(queue: string, job: PreparedJob, transaction: TaskTransaction): Promise<StoredJob> {
    const id = randomUUID();
    return this.tracing.send(queue, job.name, job.opts, async (opts) => {
      await this.insert(queue, transaction, [jobRow(id, queue, { ...job, opts })]);
      return { id };
    });
  }

  addBulk(queue: string, jobs: PreparedJob[], transaction: TaskTransaction): Promise<StoredJob[]> {
    return this.tracing.sendBatch(queue, jobs.length, async (inject) => {
      const rows = jobs.map((job) =>
        jobRow(randomUUID(), queue, { ...job, opts: inject(job.opts) }),
      );
      await this.insert(queue, transaction, rows);
      return rows.map(({ id }) => ({ id }));
    });
  }

  /** The whole tree in one row: BullMQ adds a flow atomically, so the relay must add it whole. */
  addFlow(flow: PreparedFlow, transaction: TaskTransaction): Promise<void> {
    return this.tracing.sendBatch(
      flow.queue,
      flowSize(flow),
      async (inject) => {
        await this.insert(flow.queue, transaction, [flowRow(flow.id, toFlowJob(flow, inject))]);
      },
      flow.id,
    );
  }

  private async insert(queue: string, transaction: TaskTransaction, rows: OutboxRow[]) {
    await this.connection.whenReady();
    const { sql } = this.connection;
    const values = [JSON.stringify(rows), this.prefix, sql.channel];
    await this.transactions.run(queue, transaction, async (xid) => {
      const result = await transaction.query(sql.insert, [...values, xid]);
      return (result.rows[0] as { added: number }).added === rows.length;
    });
  }
}
