import { TaskQueueConfigError } from '../errors/index.js';
import type { TaskQueueClsOptions } from '../interfaces/task-queue-cls-options.interface.js';
import { clsMessages } from './cls.messages.js';

/** @internal The `cls` option, checked: what jobs carry, and which transaction enqueues join. */
export interface ClsConfig {
  /** CLS keys carried from the enqueuer's context into the run's. */
  propagate: readonly string[];
  /**
   * Join `@Transactional()` methods: `null` for the default `TransactionHost`, else the
   * `connectionName` of the one to join; `false` joins none.
   */
  transactions: false | { connectionName: string | null };
}

const OPTIONS = new Set(['propagate', 'transactions']);

/**
 * @internal Checks the `cls` option of `forRoot`.
 * @throws TaskQueueConfigError naming the option, its value and what was expected.
 */
export function resolveClsConfig(cls: TaskQueueClsOptions | undefined): ClsConfig {
  if (cls === undefined) return { propagate: [], transactions: false };
  if (typeof cls !== 'object' || cls === null || Array.isArray(cls)) {
    throw new TaskQueueConfigError(clsMessages.invalidCls(cls));
  }
  const unknown = Object.keys(cls).find((key) => !OPTIONS.has(key));
  if (unknown !== undefined) throw new TaskQueueConfigError(clsMessages.unknownClsOption(unknown));
  const { propagate = [], transactions = false } = cls;
  if (
    !Array.isArray(propagate) ||
    propagate.some((key) => typeof key !== 'string' || key.length === 0)
  ) {
    throw new TaskQueueConfigError(clsMessages.invalidPropagate(propagate));
  }
  return { propagate: [...new Set(propagate)], transactions: transactionsOf(transactions) };
}

function transactionsOf(value: unknown): ClsConfig['transactions'] {
  if (value === false) return false;
  if (value === true) return { connectionName: null };
  const name = (value as { connectionName?: unknown } | null)?.connectionName;
  if (typeof value === 'object' && typeof name === 'string' && name.length > 0) {
    return { connectionName: name };
  }
  throw new TaskQueueConfigError(clsMessages.invalidTransactions(value));
}
