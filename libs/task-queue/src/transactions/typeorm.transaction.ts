import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import { adapterOf } from './transaction-adapter.js';

/**
 * What this adapter uses of a TypeORM `EntityManager` (the one `dataSource.transaction()`
 * gives) or `QueryRunner` (after `startTransaction()`), declared here so that the package does
 * not depend on TypeORM.
 */
export interface TypeormTransactionLike {
  /** Runs a raw statement with `$1`-style parameters on the transaction's connection. */
  query(query: string, parameters?: unknown[]): Promise<unknown>;
}

const adapters = new WeakMap<TypeormTransactionLike, TaskTransaction>();

/**
 * A TypeORM transaction as the `transaction` of an enqueue: the job is written through it and
 * commits (or rolls back) with the rest of it. Pass the transaction's own `EntityManager` (the
 * argument of `dataSource.transaction(async (manager) => …)`) or a `QueryRunner` after
 * `startTransaction()`; `dataSource.manager` is not in any transaction, and is refused.
 *
 * @example
 * ```ts
 * await dataSource.transaction(async (manager) => {
 *   const user = await manager.save(User, { email });
 *   await queue.enqueue('send_welcome_email', { userId: user.id }, {
 *     transaction: typeormTransaction(manager),
 *   });
 * });
 * ```
 */
export function typeormTransaction(manager: TypeormTransactionLike): TaskTransaction {
  return adapterOf(adapters, manager, async (text, values) => {
    const rows = await manager.query(text, values);
    return { rows: Array.isArray(rows) ? rows : [] };
  });
}
