/** The job was ended by `TaskQueue.abort()`; `ctx.signal.reason` of an active one. */
export class TaskAbortedError extends Error {
  /** Always `'TaskAbortedError'`, set on the class so that minified code keeps it. */
  override readonly name = 'TaskAbortedError';
}
