/**
 * A per-job provider (request-scoped, created for each job) that wants to know the task
 * succeeded, before the job is marked complete: commit here. A throw fails the job.
 *
 * @example
 * ```ts
 * @Injectable({ scope: Scope.REQUEST })
 * export class DbSession implements OnTaskSuccess, OnTaskFailure {
 *   async onTaskSuccess() { await this.tx.commit(); }
 *   async onTaskFailure() { await this.tx.rollback(); }
 * }
 * ```
 */
export interface OnTaskSuccess {
  /**
   * Called with what the task returned, before the job is marked complete; may be async. Also
   * called, with `undefined`, when an execution ends by `ctx.sleep` or `ctx.waitForEvent`: the
   * steps it did are stored, so what they wrote is to be kept.
   */
  onTaskSuccess(result: unknown): unknown;
}

/**
 * A per-job provider that wants to know the task failed, timed out or was aborted, before the
 * job is marked failed: roll back here. After a timeout or abort the task body may still be
 * running, so a session should refuse further use once rolled back.
 */
export interface OnTaskFailure {
  /** Called with the task's error, before the job is marked failed; may be async. */
  onTaskFailure(error: unknown): unknown;
}
