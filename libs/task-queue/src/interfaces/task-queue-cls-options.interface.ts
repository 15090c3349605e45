import type { TaskTransaction } from './task-transaction.interface.js';

/**
 * How the module works with `nestjs-cls` (an optional peer), in `forRoot({ cls })`. Whatever it
 * says, once the application imports `ClsModule` every run gets a CLS context of its own, with
 * `cls.getId()` the job's id.
 *
 * @example
 * ```ts
 * TaskQueueModule.forRoot({ cls: { propagate: ['tenantId'], transactions: true } })
 * ```
 */
export interface TaskQueueClsOptions {
  /**
   * CLS keys copied from the enqueuer's context into each job it enqueues (`enqueue`,
   * `enqueueMany`, `apply`, `map`, flows), and set in the run's context before the task's
   * per-job providers are made. Values must be plain data, as payloads are. A key the enqueuer's
   * context does not hold is not carried; a scheduled run carries none. The process that runs
   * the job restores the keys its own `propagate` lists. Default: none.
   */
  propagate?: string[];
  /**
   * With `@nestjs-cls/transactional`: an enqueue (`enqueue`, `enqueueMany`, `enqueueFlow`) inside
   * a `@Transactional()` method writes its jobs through that method's transaction, as
   * `{ transaction }` would, so they exist only if the method commits; `apply` and `map` there
   * reject with `InvalidOptionsError`. An explicit `transaction` option wins. The
   * `TransactionHost`'s database must be the queues' (or, on Redis, the outbox's).
   * `true` joins the default `TransactionHost`; `{ connectionName }` the one registered under
   * that name. Its `tx` is used as it is when it has `query(text, values)` (a node-postgres
   * client); otherwise `toTransaction` turns it into one (`drizzleTransaction` for the Drizzle
   * adapter). Default `false`.
   */
  transactions?: boolean | TaskQueueClsTransactions;
  /**
   * Resolves nestjs-cls's Proxy Providers (`@InjectableProxy()`) in each run's context before
   * the task, as `ClsModule`'s middleware does per request. Set it when tasks use them; it is
   * off by default because nestjs-cls arms a timer for each resolution. Default `false`.
   */
  resolveProxyProviders?: boolean;
}

/** Which `TransactionHost` enqueues join, and how its `tx` becomes a {@link TaskTransaction}. */
export interface TaskQueueClsTransactions {
  /** The `connectionName` given to `ClsPluginTransactional`; default: the unnamed one. */
  connectionName?: string;
  /** Turns the adapter's `tx` into a transaction the enqueue writes through. */
  toTransaction?: (tx: never) => TaskTransaction;
}
