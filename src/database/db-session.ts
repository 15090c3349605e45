import { Inject, Injectable, Scope } from '@nestjs/common';
import type { Job } from 'bullmq';
import { TASK_JOB, type OnTaskFailure, type OnTaskSuccess } from '@app/task-queue';
import { Database, type AppDatabase, type TransactionLease } from './database.js';
import { DbSessionClosedError } from './db-session-closed.error.js';

type SessionState = 'open' | 'committed' | 'rolled back';

/**
 * One job's database transaction. Declare it as a task parameter and each job gets its own:
 * the transaction begins on the first `tx()`, commits when the task returns, and rolls back when
 * it throws, times out or is aborted. After that the session refuses every query, so a task body
 * still running after its timeout cannot write, least of all into another job's transaction.
 *
 * @example
 * ```ts
 * @Task('update_user_status')
 * async updateUserStatus(ctx: TaskContext, payload: { userId: number; status: string }, db: DbSession) {
 *   const tx = await db.tx();
 *   await tx.update(users).set({ status: payload.status }).where(eq(users.id, payload.userId));
 *   return { updated: payload.userId };
 * }
 * ```
 */
@Injectable({ scope: Scope.REQUEST })
export class DbSession implements OnTaskSuccess, OnTaskFailure {
  private state: SessionState = 'open';
  private lease?: Promise<TransactionLease>;

  constructor(
    private readonly database: Database,
    @Inject(TASK_JOB) private readonly job: Job,
  ) {}

  /**
   * The job's transaction as a Drizzle database: every query through it is part of the job's
   * transaction. Opens it on the first call (with PGlite, waits until no other job holds one).
   */
  async tx(): Promise<AppDatabase> {
    this.assertOpen();
    this.lease ??= this.database.begin(() => this.assertOpen());
    const { db } = await this.lease;
    this.assertOpen(); // the job may have ended while the connection was on its way
    return db;
  }

  /** Commits, if a transaction was opened. A failed commit fails the job. */
  async onTaskSuccess(): Promise<void> {
    this.state = 'committed';
    if (this.lease) await (await this.lease).commit();
  }

  /** Rolls back, if a transaction was opened: at once, even while the task body still runs. */
  async onTaskFailure(): Promise<void> {
    this.state = 'rolled back';
    const lease = await this.lease?.catch(() => undefined); // never opened: nothing to undo
    await lease?.rollback();
  }

  private assertOpen(): void {
    if (this.state === 'open') return;
    throw new DbSessionClosedError(
      `The DbSession of job ${this.job.id} (${this.job.name}) is ${this.state}: ` +
        'no query can run after its task has finished, failed, timed out or been aborted. ' +
        'Await every query inside the task body, and stop work when ctx.signal aborts.',
    );
  }
}
