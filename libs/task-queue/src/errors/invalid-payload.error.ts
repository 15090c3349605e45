/** A payload was rejected at enqueue; nothing was enqueued. Bad options: `InvalidOptionsError`. */
export class InvalidPayloadError extends Error {
  /** Always `'InvalidPayloadError'`, set on the class so that minified code keeps it. */
  override readonly name = 'InvalidPayloadError';
}
