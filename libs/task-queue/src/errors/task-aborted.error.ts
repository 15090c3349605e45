/** The job was ended by `TaskQueue.abort()`; `ctx.signal.reason` of an active one. */
export class TaskAbortedError extends Error {
  override readonly name = 'TaskAbortedError';
}
