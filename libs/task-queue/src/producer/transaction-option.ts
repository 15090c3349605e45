import { InvalidOptionsError } from '../errors/index.js';
import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import { transactionMessages } from '../transactions/transaction.messages.js';

/**
 * @internal Splits the `transaction` off one enqueue's options, checked: something with a
 * `query` method. Whether it is open and on the queues' database is the store's to check.
 * @throws InvalidOptionsError naming the task and what to pass instead.
 */
export function takeTransaction<T extends { transaction?: TaskTransaction }>(
  task: string,
  options: T | undefined,
): [TaskTransaction | undefined, Omit<T, 'transaction'> | undefined] {
  if (!options || !('transaction' in options)) return [undefined, options];
  const { transaction, ...rest } = options;
  return [checkTransaction(task, transaction), rest];
}

/**
 * @internal `transaction` as given to `enqueueMany` / `enqueueFlow` (or `enqueue`), checked.
 * @throws InvalidOptionsError when it is set and has no `query` method.
 */
export function checkTransaction(task: string, transaction: unknown): TaskTransaction | undefined {
  if (transaction === undefined) return undefined;
  const query: unknown =
    typeof transaction === 'object' && transaction !== null && 'query' in transaction
      ? transaction.query
      : undefined;
  if (typeof query !== 'function') {
    throw new InvalidOptionsError(transactionMessages.noQuery(task, transaction));
  }
  return transaction as TaskTransaction;
}

/**
 * @internal Rejects a `transaction` where a call cannot take one: `apply` and `map` wait for
 * an outcome, and one job of `enqueueMany` or of a flow cannot have a transaction of its own.
 */
export function refuseTransaction(
  task: string,
  method: 'apply' | 'map' | 'enqueueMany' | 'enqueueFlow',
  options: unknown,
): void {
  if ((options as { transaction?: unknown } | undefined)?.transaction === undefined) return;
  throw new InvalidOptionsError(
    method === 'apply' || method === 'map'
      ? transactionMessages.notInApply(task, method)
      : transactionMessages.perItem(task, method),
  );
}
