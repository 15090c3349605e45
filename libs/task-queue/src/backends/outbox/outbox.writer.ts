import { randomUUID } from 'node:crypto';
import { InvalidOptionsError } from '../../errors/index.js';
import type { TaskTransaction } from '../../interfaces/task-transaction.interface.js';
import type { TaskTracing } from '../../observability/task-queue.tracing.js';
import type { StoredJob } from '../../producer/job-store.js';
import type { PreparedJob } from '../../producer/prepared-job.js';
import { flowSize, type PreparedFlow } from '../../producer/task-flow.js';
import { toFlowJob } from '../bullmq.job-options.js';
import type { OutboxConnection } from './outbox.connection.js';
import { outboxMessages } from './outbox.messages.js';
import { flowRow, jobRow, type OutboxRow } from './outbox.rows.js';

/**
 * @internal The enqueue side of the outbox: writes jobs into the outbox table through the
 * caller's transaction, so they exist once it commits and never if it rolls back. Each job's
 * id (a UUID) is its row's, and will be its BullMQ job id once relayed.
 */
export class OutboxWriter {
  /** The transactions found on the outbox's database: a connection never changes database. */
  private readonly checked = new WeakMap<TaskTransaction, Promise<void>>();

  constructor(
    private readonly connection: OutboxConnection,
    private readonly prefix: string,
    private readonly tracing: TaskTracing,
  ) {}

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
    await this.onOutboxDatabase(queue, transaction);
    const { sql } = this.connection;
    await transaction.query(sql.insert, [JSON.stringify(rows), this.prefix, sql.channel]);
  }

  /**
   * Checks, once per transaction object, that it is on the outbox's database: a read, so a
   * wrong one fails the enqueue without aborting the caller's transaction.
   */
  private onOutboxDatabase(queue: string, transaction: TaskTransaction): Promise<void> {
    let check = this.checked.get(transaction);
    if (!check) {
      check = this.checkDatabase(queue, transaction);
      this.checked.set(transaction, check);
      check.catch(() => this.checked.delete(transaction));
    }
    return check;
  }

  private async checkDatabase(queue: string, transaction: TaskTransaction): Promise<void> {
    const [{ rows }, expected] = await Promise.all([
      transaction.query(this.connection.sql.whereAmI),
      this.connection.databaseName(),
    ]);
    const { database, present } = rows[0] as { database: string; present: boolean };
    const where = `TaskQueue '${queue}'`;
    if (database !== expected) {
      throw new InvalidOptionsError(outboxMessages.otherDatabase(where, database, expected));
    }
    if (!present) {
      throw new InvalidOptionsError(
        outboxMessages.noOutboxTable(where, database, this.connection.sql.schema),
      );
    }
  }
}
