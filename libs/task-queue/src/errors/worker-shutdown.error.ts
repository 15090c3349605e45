/**
 * @internal `ctx.signal.reason` when a shutdown's grace period ran out: the job runs again. Not
 * exported: a task cannot tell it from any other reason to stop, and need not.
 */
export class WorkerShutdownError extends Error {
  /** Always `'WorkerShutdownError'`, set on the class so that minified code keeps it. */
  override readonly name = 'WorkerShutdownError';
}
