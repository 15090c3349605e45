import { ConflictException, Injectable, InternalServerErrorException } from '@nestjs/common';
import { drizzleTransaction, TaskQueues, type TaskTransaction } from '@app/task-queue';
import { queuesShareAppDatabase, readAppConfig } from '../app.config.js';
import { Database, type AppDatabase, type AppTransaction } from '../database/database.js';
import { users } from '../database/schema.js';
import type { UserPayload } from './users.tasks.js';

/** What `POST /users` answers: the new user, its welcome email's job, and whether both committed together. */
export interface SignupResult {
  userId: number;
  jobId: string;
  transactional: boolean;
}

/** Options of {@link SignupService.signUp}. */
export interface SignupOptions {
  /** Demo of the rollback: fail after the enqueue, inside the transaction. */
  failAfterEnqueue?: boolean;
}

/** PostgreSQL's unique_violation, as node-postgres and PGlite report it (Drizzle wraps it in `cause`). */
function isUniqueViolation(error: unknown): boolean {
  const codeOf = (value: unknown) => (value as { code?: unknown } | null)?.code;
  return (
    codeOf(error) === '23505' || codeOf((error as { cause?: unknown } | null)?.cause) === '23505'
  );
}

/**
 * Signs a user up: saves the user and enqueues `send_welcome_email`, in one transaction when the
 * queues live in the app's database (PostgreSQL, or the app's own PGlite). Then the job exists
 * once the user commits and not at all if the signup rolls back: no email for a user who was never
 * saved, and no user left without one because the process died between two writes.
 *
 * On PGlite the queues share the app's single session. While this transaction is open every other
 * statement on the instance waits, the queues' included, so the enqueue goes through `tx` (an
 * enqueue beside it would wait for the transaction it is part of) and nothing else is awaited
 * before the commit: the transaction stays short, and workers' fetches wait only that long.
 */
@Injectable()
export class SignupService {
  private readonly transactional = queuesShareAppDatabase(readAppConfig());

  constructor(
    private readonly database: Database,
    private readonly taskQueues: TaskQueues,
  ) {}

  async signUp(
    email: string,
    { failAfterEnqueue = false }: SignupOptions = {},
  ): Promise<SignupResult> {
    try {
      // Queues elsewhere (Redis, or a PGlite directory apart from the data): the user commits,
      // then the job is enqueued. A crash between the two loses the email; Redis needs an outbox
      // in the app's PostgreSQL to close that gap.
      if (!this.transactional) {
        return await this.saveAndEnqueue(this.database.db, email, failAfterEnqueue, undefined);
      }
      return await this.database.db.transaction((tx) =>
        this.saveAndEnqueue(tx, email, failAfterEnqueue, drizzleTransaction(tx)),
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictException(`A user with the email ${email} already exists`);
      }
      throw error;
    }
  }

  private async saveAndEnqueue(
    db: AppDatabase | AppTransaction,
    email: string,
    failAfterEnqueue: boolean,
    transaction: TaskTransaction | undefined,
  ): Promise<SignupResult> {
    const [user] = await db.insert(users).values({ email }).returning({ id: users.id });
    const payload: UserPayload = { userId: user.id };
    const job = await this.taskQueues
      .get('default')
      .enqueue('send_welcome_email', payload, transaction ? { transaction } : {});
    if (failAfterEnqueue) this.failOnPurpose(job.id, transaction !== undefined);
    return { userId: user.id, jobId: job.id, transactional: transaction !== undefined };
  }

  private failOnPurpose(jobId: string, rolledBack: boolean): never {
    throw new InternalServerErrorException(
      rolledBack
        ? `Signup failed on purpose after enqueueing job ${jobId} (?fail=after-enqueue): ` +
            'the user and the job rolled back together'
        : `Signup failed on purpose after enqueueing job ${jobId} (?fail=after-enqueue): ` +
            'the queues are not in the app database, so the user and the job stay',
    );
  }
}
