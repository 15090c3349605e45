/** An enqueue option (`delay`, `timeout`, `retries`, `key`...) was rejected; nothing was enqueued. */
export class InvalidOptionsError extends Error {
  override readonly name = 'InvalidOptionsError';
}
