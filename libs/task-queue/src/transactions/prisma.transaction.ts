import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import { adapterOf } from './transaction-adapter.js';

/**
 * What this adapter uses of a Prisma interactive transaction (`tx` of
 * `prisma.$transaction(async (tx) => …)`), declared here so that the package does not depend
 * on Prisma.
 */
export interface PrismaTransactionLike {
  /** Runs a raw statement with `$1`-style parameters on the transaction's connection. */
  $queryRawUnsafe(query: string, ...values: unknown[]): Promise<unknown>;
}

const adapters = new WeakMap<PrismaTransactionLike, TaskTransaction>();

/**
 * A Prisma interactive transaction as the `transaction` of an enqueue: the job is written
 * through it and commits (or rolls back) with the rest of `tx`. The `PrismaClient` itself is
 * not in any transaction, and is refused.
 *
 * @example
 * ```ts
 * await prisma.$transaction(async (tx) => {
 *   const user = await tx.user.create({ data: { email } });
 *   await queue.enqueue('send_welcome_email', { userId: user.id }, {
 *     transaction: prismaTransaction(tx),
 *   });
 * });
 * ```
 */
export function prismaTransaction(tx: PrismaTransactionLike): TaskTransaction {
  return adapterOf(adapters, tx, async (text, values = []) => {
    const rows = await tx.$queryRawUnsafe(text, ...values);
    return { rows: Array.isArray(rows) ? rows : [] };
  });
}
