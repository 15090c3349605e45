/** A payload or enqueue option was rejected at enqueue; nothing was enqueued. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}
