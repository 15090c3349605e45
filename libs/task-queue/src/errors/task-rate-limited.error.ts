/**
 * What `ctx.rateLimit()` rejects with, and `ctx.signal.reason` after it: the queue is paused and
 * this job runs again once the pause is over, without using up a retry. Let it propagate (or
 * return); the job goes back to its queue whatever the task does after the call.
 */
export class TaskRateLimitedError extends Error {
  /** Always `'TaskRateLimitedError'`, set on the class so that minified code keeps it. */
  override readonly name = 'TaskRateLimitedError';

  constructor(
    message: string,
    /** How long the queue is paused, in seconds. */
    readonly seconds: number,
  ) {
    super(message);
  }
}
