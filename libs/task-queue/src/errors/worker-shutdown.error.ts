/**
 * @internal `ctx.signal.reason` when a shutdown's grace period ran out: the job runs again. Not
 * exported: a task cannot tell it from any other reason to stop, and need not.
 */
export class WorkerShutdownError extends Error {
  override readonly name = 'WorkerShutdownError';
}
