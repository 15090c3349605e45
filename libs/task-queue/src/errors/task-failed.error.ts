/** `apply()` saw the task fail for good (no attempts left). The message carries the task's. */
export class TaskFailedError extends Error {
  /** Always `'TaskFailedError'`, set on the class so that minified code keeps it. */
  override readonly name = 'TaskFailedError';

  constructor(
    message: string,
    /** Id of the failed job. */
    readonly jobId: string,
    /** The task's own error message. */
    readonly reason: string,
    /** The queue the job ran on. */
    readonly queue?: string,
  ) {
    super(message);
  }
}
