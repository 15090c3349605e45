import { Logger } from '@nestjs/common';
import {
  BackendHealth,
  type BackendKind,
  type OutageEvents,
  type Reachability,
} from '../observability/backend-health.js';
import { testingMessages } from './task-queue-testing.messages.js';

/** Never an outage: there is nothing to lose touch with. */
const NO_OUTAGE: OutageEvents = { ongoing: false, onBack: () => () => undefined };

/**
 * @internal The testing module's {@link BackendHealth}: the jobs live in memory, so there is no
 * backend to reach. Health reports it unreachable, saying why; nothing waits for it to answer.
 */
export class MemoryBackendHealth extends BackendHealth {
  readonly outage = NO_OUTAGE;
  private readonly logger = new Logger('TaskQueue');

  constructor(
    /** The kind the application configured, which this test does not connect to. */
    readonly kind: BackendKind,
  ) {
    super();
  }

  isReady(): boolean {
    return false;
  }

  async whenReady(): Promise<boolean> {
    return false;
  }

  async ping(): Promise<Reachability> {
    return { reachable: false, error: testingMessages.noBackend('This check') };
  }

  onceReachable(): () => void {
    return () => undefined;
  }

  async workersCount(): Promise<number> {
    return 0;
  }

  async stillKept(): Promise<boolean> {
    return true;
  }

  async markKept(): Promise<void> {}

  reportError(source: string, error: Error): void {
    this.logger.error(`${source}: ${error.message}`);
  }
}
