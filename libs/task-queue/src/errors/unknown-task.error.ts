/** No task of that name was discovered on that queue; nothing was enqueued. */
export class UnknownTaskError extends Error {
  /** Always `'UnknownTaskError'`, set on the class so that minified code keeps it. */
  override readonly name = 'UnknownTaskError';
}
