import type { QueueBackend } from './queue-backend.js';
import { ENQUEUE_CONNECT_TIMEOUT_MS } from '../task-queue.constants.js';

/**
 * @internal Runs one queue's commands on its backend: fails fast while the backend is
 * unreachable (no unbounded offline queue), and turns a failure of the backend into its outage
 * error (`BackendUnavailableError`) while any other failure passes as it is.
 */
export class BackendCommands {
  constructor(
    private readonly backend: QueueBackend,
    private readonly queue: string,
  ) {}

  /** Runs `command` once the backend is ready, waiting up to 1.5 s for a reconnect. */
  run<T>(command: () => Promise<T>): Promise<T> {
    // Not async: on a ready backend (nearly every call) the command's own promise is
    // returned with one handler, no extra promise layers per enqueue.
    if (!this.backend.isReady()) {
      return this.connected().then(() => command().catch(this.explain));
    }
    return command().catch(this.explain);
  }

  private async connected(): Promise<void> {
    if (!(await this.backend.whenReady(ENQUEUE_CONNECT_TIMEOUT_MS))) {
      throw this.backend.unavailable(this.queue, ENQUEUE_CONNECT_TIMEOUT_MS);
    }
  }

  private readonly explain = async (error: unknown): Promise<never> => {
    throw (await this.backend.outageOf(error, this.queue)) ?? error;
  };
}
