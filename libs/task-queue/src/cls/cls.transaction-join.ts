import type { ModuleRef } from '@nestjs/core';
import { InvalidOptionsError, TaskQueueConfigError } from '../errors/index.js';
import type { TaskQueueClsTransactions } from '../interfaces/task-queue-cls-options.interface.js';
import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import type { EnqueueMethod } from '../producer/job-context.js';
import { clsMessages } from './cls.messages.js';
import { lookUp, namespaceOf, whyUnloadable } from './cls.loader.js';

/** @internal The parts of @nestjs-cls/transactional's `TransactionHost` the module uses. */
interface TransactionHostLike {
  isTransactionActive(): boolean;
  readonly tx: unknown;
}

/** @internal What the module takes from the `@nestjs-cls/transactional` package. */
interface TransactionalApi {
  getTransactionHostToken(connectionName?: string): unknown;
}

const kindOf = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return String(value);
  const name = value.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
};

/**
 * @internal The transaction of the `@Transactional()` method an enqueue runs in, from
 * `@nestjs-cls/transactional`'s `TransactionHost` (`cls.transactions`), as a
 * {@link TaskTransaction}: its `tx` itself when it has `query`, else what `toTransaction` makes.
 */
export class TransactionJoin {
  constructor(
    private readonly host: TransactionHostLike,
    private readonly toTransaction: ((tx: never) => TaskTransaction) | undefined,
  ) {}

  /**
   * The transaction an enqueue by `method` of task `task` joins; `undefined` outside one.
   * @throws InvalidOptionsError from `apply` / `map` inside one, or for a `tx` without `query`.
   */
  transaction(task: string, method: EnqueueMethod): TaskTransaction | undefined {
    if (!this.host.isTransactionActive()) return undefined;
    if (method === 'apply' || method === 'map') {
      throw new InvalidOptionsError(clsMessages.inTransaction(task, method));
    }
    const tx = this.host.tx;
    // The adapter's tx is what the application's toTransaction was written for.
    if (this.toTransaction) return this.toTransaction(tx as never);
    if (typeof (tx as { query?: unknown } | null)?.query === 'function') {
      return tx as TaskTransaction;
    }
    throw new InvalidOptionsError(clsMessages.txWithoutQuery(task, kindOf(tx)));
  }
}

/**
 * @internal The join that `cls.transactions` asks for, with the application's `TransactionHost`.
 * @throws TaskQueueConfigError when the package or that `TransactionHost` is missing.
 */
export async function loadTransactionJoin(
  moduleRef: ModuleRef,
  { connectionName, toTransaction }: TaskQueueClsTransactions,
  load: () => Promise<unknown> = () => import('@nestjs-cls/transactional'),
): Promise<TransactionJoin> {
  const named = connectionName === undefined ? '' : ` '${connectionName}'`;
  let api: TransactionalApi;
  try {
    api = namespaceOf(await load()) as TransactionalApi;
  } catch (error) {
    const why = whyUnloadable(error);
    if (!why) throw error;
    const reason = `the package @nestjs-cls/transactional ${why}`;
    throw new TaskQueueConfigError(clsMessages.transactionalMissing(named, reason));
  }
  const token = api.getTransactionHostToken(connectionName);
  const host = lookUp<TransactionHostLike>(moduleRef, token);
  if (!host) {
    const reason = 'the application has none registered';
    throw new TaskQueueConfigError(clsMessages.transactionalMissing(named, reason));
  }
  return new TransactionJoin(host, toTransaction);
}
