import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';

/**
 * @internal One adapter per ORM transaction object: the queues check a transaction object's
 * database on its first use only, so the same ORM transaction must give the same adapter.
 */
export function adapterOf<T extends object>(
  adapters: WeakMap<T, TaskTransaction>,
  source: T,
  query: TaskTransaction['query'],
): TaskTransaction {
  let adapter = adapters.get(source);
  if (!adapter) adapters.set(source, (adapter = { query }));
  return adapter;
}
