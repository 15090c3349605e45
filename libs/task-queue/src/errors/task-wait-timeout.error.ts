/** `apply()` stopped waiting before the job finished. The job itself is left as it is. */
export class TaskWaitTimeoutError extends Error {
  override readonly name = 'TaskWaitTimeoutError';

  constructor(
    message: string,
    /** Id of the job that is still queued or running. */
    readonly jobId: string,
  ) {
    super(message);
  }
}
