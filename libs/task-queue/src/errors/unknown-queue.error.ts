/** `TaskQueues.get()` was asked for a queue that is not configured. */
export class UnknownQueueError extends Error {
  override readonly name = 'UnknownQueueError';
}
