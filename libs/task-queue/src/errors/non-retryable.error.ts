/**
 * Throw it from a task to fail the job at once, without the retries it has left.
 *
 * @example
 * ```ts
 * if (!user) throw new NonRetryableError(`user ${payload.userId} does not exist`);
 * ```
 */
export class NonRetryableError extends Error {
  /** Always `'NonRetryableError'`, set on the class so that minified code keeps it. */
  override readonly name = 'NonRetryableError';
}
