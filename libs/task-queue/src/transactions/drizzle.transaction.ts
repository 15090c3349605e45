import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import { adapterOf } from './transaction-adapter.js';

/**
 * The members of a Drizzle PostgreSQL transaction (`tx` of `db.transaction(async (tx) => …)`)
 * this adapter uses, declared here so that the package does not depend on Drizzle: its
 * session, which runs a raw statement on the transaction's connection.
 */
export interface DrizzleTransactionLike {
  /** Drizzle's internals of the transaction (`tx._`), where its session is. */
  readonly _: {
    /** The session of the transaction's connection. */
    readonly session: {
      /** Prepares a raw statement on the transaction's connection. */
      prepareQuery(
        query: { sql: string; params: unknown[] },
        fields: undefined,
        name: undefined,
        isResponseInArrayMode: boolean,
      ): {
        /** Runs the prepared statement. */
        execute(): Promise<unknown>;
      };
    };
  };
}

const adapters = new WeakMap<DrizzleTransactionLike, TaskTransaction>();

/**
 * A Drizzle transaction as the `transaction` of an enqueue: the job is written through it and
 * commits (or rolls back) with the rest of `tx`. For Drizzle on node-postgres, PGlite or
 * postgres.js, on the queues' database.
 *
 * @example
 * ```ts
 * await db.transaction(async (tx) => {
 *   const [user] = await tx.insert(users).values({ email }).returning();
 *   await queue.enqueue('send_welcome_email', { userId: user.id }, {
 *     transaction: drizzleTransaction(tx),
 *   });
 * });
 * ```
 */
export function drizzleTransaction(tx: DrizzleTransactionLike): TaskTransaction {
  return adapterOf(adapters, tx, async (text, values = []) => {
    const prepared = tx._.session.prepareQuery(
      { sql: text, params: values },
      undefined,
      undefined,
      false,
    );
    const result = await prepared.execute();
    // node-postgres and PGlite answer { rows }; postgres.js, the rows themselves.
    return { rows: Array.isArray(result) ? result : (result as { rows: unknown[] }).rows };
  });
}
