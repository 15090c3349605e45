/** `TaskQueues.get()` was asked for a queue that is not configured. */
export class UnknownQueueError extends Error {
  /** Always `'UnknownQueueError'`, set on the class so that minified code keeps it. */
  override readonly name = 'UnknownQueueError';
}
