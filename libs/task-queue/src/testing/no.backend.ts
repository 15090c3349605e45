import type { FlowProducer, Queue, QueueEvents, Worker } from 'bullmq';
import { TaskQueueConfigError } from '../errors/index.js';
import { QueueBackend, type BackendKind, type Reachability } from '../backends/queue-backend.js';
import { testingMessages } from './task-queue-testing.messages.js';

/**
 * @internal The testing module's stand-in for the backend, for the services that read it
 * directly (health, metrics, migrations, the dashboard): it connects to nothing, reports itself
 * unreachable, and refuses anything that would need the real one, saying so.
 */
export class NoBackend extends QueueBackend {
  override readonly hasQueues = false;

  constructor(
    /** The kind the application configured, which this test does not connect to. */
    readonly kind: BackendKind,
  ) {
    super('no backend (the testing module)');
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

  unavailable(): Error {
    return this.refuse('This command');
  }

  async outageOf(): Promise<Error | undefined> {
    return undefined;
  }

  async markAborted(): Promise<never> {
    throw this.refuse('Aborting a job in the backend');
  }

  async publishAbort(): Promise<never> {
    throw this.refuse('Publishing an abort');
  }

  async subscribeAborts(): Promise<never> {
    throw this.refuse('Receiving aborts');
  }

  async withLock(): Promise<never> {
    throw this.refuse('A backend lock');
  }

  onceReachable(): () => void {
    return () => undefined;
  }

  disconnectWorkers(): void {}

  override workersCount(): Promise<number> {
    return Promise.resolve(0);
  }

  protected makeQueue(name: string): Queue {
    throw this.refuse(`The BullMQ queue '${name}' (metrics export, dashboard)`);
  }

  protected makeQueueEvents(name: string): QueueEvents {
    throw this.refuse(`The events of queue '${name}'`);
  }

  protected makeFlowProducer(): FlowProducer {
    throw this.refuse('The BullMQ flow producer');
  }

  protected makeWorker(name: string): Worker {
    throw this.refuse(`A worker for queue '${name}'`);
  }

  protected async closeConnections(): Promise<void> {}

  private refuse(what: string): TaskQueueConfigError {
    return new TaskQueueConfigError(testingMessages.noBackend(what));
  }
}
