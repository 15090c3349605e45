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
   * With `@nestjs-cls/transactional`: an enqueue inside a `@Transactional()` method writes its
   * job through that method's transaction, as `{ transaction }` would, so the job exists only if
   * the method commits. `true` uses the default `TransactionHost`; `{ connectionName }` the one
   * registered under that name. Default `false`.
   */
  transactions?: boolean | { connectionName: string };
}
