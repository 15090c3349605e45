import { BackendUnavailableError } from './backend-unavailable.error.js';

/** Redis did not answer in time for an enqueue or a read; nothing was enqueued. */
export class RedisUnavailableError extends BackendUnavailableError {
  override readonly name: string = 'RedisUnavailableError';
}
