/**
 * A run took longer than its `timeout`. The job fails (and retries like any failure, unless
 * the task sets `retryOnTimeout: false`); `ctx.signal` is aborted with this error as reason.
 */
export class TaskTimeoutError extends Error {
  /** Always `'TaskTimeoutError'`, set on the class so that minified code keeps it. */
  override readonly name = 'TaskTimeoutError';
}
