/** An enqueue option (`delay`, `timeout`, `retries`, `key`...) was rejected; nothing was enqueued. */
export class InvalidOptionsError extends Error {
  /** Always `'InvalidOptionsError'`, set on the class so that minified code keeps it. */
  override readonly name = 'InvalidOptionsError';
}
