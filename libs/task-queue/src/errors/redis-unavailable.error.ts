/** Redis did not answer in time for an enqueue; nothing was enqueued. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}
