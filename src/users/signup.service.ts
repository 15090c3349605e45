import { ConflictException, Injectable, InternalServerErrorException } from '@nestjs/common';
import { drizzleTransaction, TaskQueues, type TaskTransaction } from '@app/task-queue';
import {
  enqueuesInAppTransactions,
  queuesUseOutbox,
  readAppConfig,
  type AppConfig,
} from '../app.config.js';
import { Database, type AppDatabase, type AppTransaction } from '../database/database.js';
import { users } from '../database/schema.js';
import type { UserPayload } from './users.tasks.js';

/** What `POST /users` answers: the new user, its onboarding job, and whether both committed together. */
export interface SignupResult {
  userId: number;
  jobId: string;
  transactional: boolean;
  /** With `transactional: false`: why not, and what would make it so. */
  note?: string;
}

/** Why a signup under `config` is not one transaction, for the answer's `note`. */
function whyNotTransactional(config: AppConfig): string {
  const after =
    'the user committed first and the job was enqueued after, so a crash between the two loses the email.';
  return /^rediss?:/.test(config.queueUrl)
    ? `The queues are on Redis and the app has no PostgreSQL (DATABASE_URL) for an outbox: ${after} ` +
        'Set DATABASE_URL to enqueue through an outbox in the same transaction.'
    : `The queues are not in the app's database: ${after}`;
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
 * Signs a user up: saves the user and enqueues `onboard_user` (the welcome email, then a reminder
 * unless the user confirms the address), in one transaction when the queues live in the app's
 * database (PostgreSQL, or the app's own PGlite) or, on Redis, have an outbox there
 * (`DATABASE_URL`). Then the job exists once the user commits and not at all if the
 * signup rolls back: no email for a user who was never saved, and no user left without one
 * because the process died between two writes. Through the outbox the job is a row of the
 * transaction, moved to Redis by the relay after the COMMIT; its id is known at once.
 *
 * On PGlite the queues share the app's single session. While this transaction is open every other
 * statement on the instance waits, the queues' included, so the enqueue goes through `tx` (an
 * enqueue beside it would wait for the transaction it is part of) and nothing else is awaited
 * before the commit: the transaction stays short, and workers' fetches wait only that long.
 */
@Injectable()
export class SignupService {
  private readonly config = readAppConfig();
  private readonly transactional = enqueuesInAppTransactions(this.config);
  private readonly outbox = queuesUseOutbox(this.config);

  constructor(
    private readonly database: Database,
    private readonly taskQueues: TaskQueues,
  ) {}

  async signUp(
    email: string,
    { failAfterEnqueue = false }: SignupOptions = {},
  ): Promise<SignupResult> {
    try {
      // Queues elsewhere (Redis without an app PostgreSQL, or a PGlite directory apart from the
      // data): the user commits, then the job is enqueued. A crash between the two loses the
      // email; Redis needs an outbox in the app's PostgreSQL to close that gap.
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
      .enqueue('onboard_user', payload, transaction ? { transaction } : {});
    if (failAfterEnqueue) this.failOnPurpose(job.id, transaction !== undefined);
    if (transaction) return { userId: user.id, jobId: job.id, transactional: true };
    return {
      userId: user.id,
      jobId: job.id,
      transactional: false,
      note: whyNotTransactional(this.config),
    };
  }

  private failOnPurpose(jobId: string, rolledBack: boolean): never {
    throw new InternalServerErrorException(
      rolledBack
        ? `Signup failed on purpose after enqueueing job ${jobId} (?fail=after-enqueue): ` +
            `the user and the job rolled back together${this.outbox ? ' (the outbox row with the user)' : ''}`
        : `Signup failed on purpose after enqueueing job ${jobId} (?fail=after-enqueue): ` +
            'the queues are not in the app database, so the user and the job stay',
    );
  }
}
