/** A payload was rejected at enqueue; nothing was enqueued. Bad options: `InvalidOptionsError`. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}
