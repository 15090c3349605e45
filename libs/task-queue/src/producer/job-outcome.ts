import { TaskFailedError } from '../errors/index.js';
import { producerMessages } from './producer.messages.js';

/** @internal The error `apply` and `map` give for a job that failed (after its retries). */
export const taskFailed = (name: string, id: string, reason: string): TaskFailedError =>
  new TaskFailedError(producerMessages.taskFailed(name, id, reason), id, reason);

/**
 * @internal Rethrows what a wait of `queue` rejected with, a `TaskFailedError` naming that
 * queue: the job stores report a job by id, and ids are only unique within a queue.
 */
export const failedOn =
  (queue: string) =>
  (error: unknown): never => {
    if (!(error instanceof TaskFailedError) || error.queue !== undefined) throw error;
    const named = new TaskFailedError(error.message, error.jobId, error.reason, queue);
    named.stack = error.stack;
    throw named;
  };
