import { TaskQueueConfigError } from '../errors/index.js';
import type {
  TaskQueueClsOptions,
  TaskQueueClsTransactions,
} from '../interfaces/task-queue-cls-options.interface.js';
import { clsMessages } from './cls.messages.js';

/** @internal The `cls` option, checked: what jobs carry, and which transaction enqueues join. */
export interface ClsConfig {
  /** CLS keys carried from the enqueuer's context into the run's. */
  propagate: readonly string[];
  /**
   * Join `@Transactional()` methods: the `connectionName` of the `TransactionHost` (`undefined`
   * for the default one) and how its `tx` becomes a transaction; `false` joins none.
   */
  transactions: false | TaskQueueClsTransactions;
  /** Resolve nestjs-cls's proxy providers in each run's context. */
  resolveProxyProviders: boolean;
}

const OPTIONS = new Set(['propagate', 'transactions', 'resolveProxyProviders']);

/**
 * @internal Checks the `cls` option of `forRoot`.
 * @throws TaskQueueConfigError naming the option, its value and what was expected.
 */
export function resolveClsConfig(cls: TaskQueueClsOptions | undefined): ClsConfig {
  if (cls === undefined)
    return { propagate: [], transactions: false, resolveProxyProviders: false };
  if (typeof cls !== 'object' || cls === null || Array.isArray(cls)) {
    throw new TaskQueueConfigError(clsMessages.invalidCls(cls));
  }
  const unknown = Object.keys(cls).find((key) => !OPTIONS.has(key));
  if (unknown !== undefined) throw new TaskQueueConfigError(clsMessages.unknownClsOption(unknown));
  const { propagate = [], transactions = false, resolveProxyProviders = false } = cls;
  if (typeof resolveProxyProviders !== 'boolean') {
    throw new TaskQueueConfigError(clsMessages.invalidResolveProxyProviders(resolveProxyProviders));
  }
  if (
    !Array.isArray(propagate) ||
    propagate.some((key) => typeof key !== 'string' || key.length === 0)
  ) {
    throw new TaskQueueConfigError(clsMessages.invalidPropagate(propagate));
  }
  return {
    propagate: [...new Set(propagate)],
    transactions: transactionsOf(transactions),
    resolveProxyProviders,
  };
}

const TRANSACTION_OPTIONS = new Set(['connectionName', 'toTransaction']);

function transactionsOf(value: unknown): ClsConfig['transactions'] {
  if (value === false) return false;
  if (value === true) return {};
  const invalid = () => new TaskQueueConfigError(clsMessages.invalidTransactions(value));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  const { connectionName, toTransaction } = value as TaskQueueClsTransactions;
  if (Object.keys(value).some((key) => !TRANSACTION_OPTIONS.has(key))) throw invalid();
  if (connectionName !== undefined && (typeof connectionName !== 'string' || !connectionName)) {
    throw invalid();
  }
  if (toTransaction !== undefined && typeof toTransaction !== 'function') throw invalid();
  return { connectionName, toTransaction };
}
