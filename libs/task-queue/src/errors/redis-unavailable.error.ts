import { BackendUnavailableError } from './backend-unavailable.error.js';

/** Redis did not answer in time for an enqueue or a read; nothing was enqueued. */
export class RedisUnavailableError extends BackendUnavailableError {
  /** Always `'RedisUnavailableError'`, set on the class so that minified code keeps it. */
  override readonly name: string = 'RedisUnavailableError';
}
