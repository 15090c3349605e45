/**
 * The queues' backend (Redis or PostgreSQL) did not answer in time for an enqueue or a read;
 * nothing was enqueued. On Redis it is the subclass {@link RedisUnavailableError}.
 */
export class BackendUnavailableError extends Error {
  /** `'BackendUnavailableError'`, or `'RedisUnavailableError'` for the Redis subclass. */
  override readonly name: string = 'BackendUnavailableError';
}
