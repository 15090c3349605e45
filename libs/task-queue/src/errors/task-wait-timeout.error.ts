import type { TaskJobStatus } from '../interfaces/task-job.interface.js';

/**
 * `apply()` or `map()` stopped waiting before the job finished. The job itself is left as it
 * is. The message says how many workers serve the job's queue (and what to check when none
 * does) and whether the job is still queued or already running, when those could be read.
 *
 * @example
 * ```ts
 * try {
 *   await queue.apply('send_email', payload, { timeout: 5 });
 * } catch (error) {
 *   if (error instanceof TaskWaitTimeoutError && error.workers === 0) alertOps(error.message);
 *   throw error;
 * }
 * ```
 */
export class TaskWaitTimeoutError extends Error {
  /** Always `'TaskWaitTimeoutError'`, set on the class so that minified code keeps it. */
  override readonly name = 'TaskWaitTimeoutError';

  constructor(
    message: string,
    /** Id of the job that is still queued or running. */
    readonly jobId: string,
    /**
     * Workers serving the job's queue, in any process, when the wait ran out; `undefined` when
     * they could not be counted (or the wait ended because the queue closed).
     */
    readonly workers?: number,
    /** Where the job was when the wait ran out; `undefined` when it could not be read. */
    readonly status?: TaskJobStatus,
  ) {
    super(message);
  }
}
