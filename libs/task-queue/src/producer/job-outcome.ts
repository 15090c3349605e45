import { TaskFailedError } from '../errors/index.js';
import { messages } from '../task-queue.messages.js';

/** @internal The error `apply` and `map` give for a job that failed (after its retries). */
export const taskFailed = (name: string, id: string, reason: string): TaskFailedError =>
  new TaskFailedError(messages.taskFailed(name, id, reason), id, reason);
