import { FlowProducer, Queue, QueueEvents, Worker, type Processor } from 'bullmq';
import { RedisUnavailableError } from '../../errors/index.js';
import type { RedisConnection } from '../../interfaces/task-queue-options.interface.js';
import { SCHEDULE_LOCK_TTL_MS } from '../../task-queue.constants.js';
import { backendMessages } from '../backend.messages.js';
import type { Reachability } from '../../observability/backend-health.js';
import { QueueBackend, type QueueRole, type WorkerSettings } from '../queue-backend.js';
import { abortChannel, MARK_ABORTED_SCRIPT } from './redis.abort.js';
import {
  answersPing,
  closeRedisClient,
  createRedisClient,
  watchOutage,
  whenReady,
  type IORedis,
  type RedisClient,
} from './redis.connection.js';
import { withRedisLock } from './redis.lock.js';

/** ioredis's refusal of a command it did not send: no offline queue and no connection. */
const NOT_SENT = /^Stream isn't writeable/;

/**
 * @internal Queues on Redis (one server or a Cluster). Three clients, each made on first use:
 * the enqueueing one fails fast; the workers' one (whose blocking connections BullMQ
 * duplicates) waits for reconnects forever; a subscriber hears abort requests.
 */
export class RedisBackend extends QueueBackend {
  readonly kind = 'redis' as const;
  private producerClient?: RedisClient;
  private workerClient?: RedisClient;
  private subscriber?: RedisClient;

  constructor(
    private readonly ioredis: IORedis,
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    where: string,
  ) {
    super(where);
  }

  /** The enqueueing client: fails fast while Redis is unreachable. */
  get producer(): RedisClient {
    return (this.producerClient ??= createRedisClient(
      this.ioredis,
      this.connection,
      'producer',
      this.outage,
    ));
  }

  private get workerConnection(): RedisClient {
    return (this.workerClient ??= createRedisClient(
      this.ioredis,
      this.connection,
      'worker',
      this.outage,
    ));
  }

  protected makeQueue(name: string, role: QueueRole): Queue {
    const connection = role === 'producer' ? this.producer : this.workerConnection;
    return new Queue(name, { connection, prefix: this.prefix });
  }

  protected makeQueueEvents(name: string): QueueEvents {
    return new QueueEvents(name, { connection: this.workerConnection, prefix: this.prefix });
  }

  protected makeFlowProducer(): FlowProducer {
    return new FlowProducer({ connection: this.producer, prefix: this.prefix });
  }

  protected makeWorker(name: string, processor: Processor, settings: WorkerSettings): Worker {
    return new Worker(name, processor, {
      ...settings,
      connection: this.workerConnection,
      prefix: this.prefix,
    });
  }

  isReady(): boolean {
    return this.producer.status === 'ready';
  }

  /** Also any error while a client in use is not connected ("Connection is closed."). */
  protected override isConnectionError(error: Error): boolean {
    const down = (client?: RedisClient) => client !== undefined && client.status !== 'ready';
    return super.isConnectionError(error) || this.outage.ongoing || down(this.workerClient);
  }

  whenReady(timeoutMs: number): Promise<boolean> {
    return whenReady(this.producer, timeoutMs);
  }

  async ping(timeoutMs: number): Promise<Reachability> {
    const client = this.producer;
    if (client.status === 'wait' || client.status === 'connecting') {
      await whenReady(client, timeoutMs);
    }
    if (await answersPing(client, timeoutMs)) return { reachable: true };
    return {
      reachable: false,
      error:
        client.status === 'ready'
          ? `Redis did not answer within ${timeoutMs} ms`
          : `connection ${client.status}`,
    };
  }

  async outageOf(error: unknown, queue: string): Promise<Error | undefined> {
    if (error instanceof RedisUnavailableError) return error;
    if (error instanceof Error && NOT_SENT.test(error.message)) {
      const reason = `the connection dropped: ${error.message}`;
      return new RedisUnavailableError(backendMessages.backendUnavailable(queue, 'Redis', reason));
    }
    return undefined;
  }

  /** The error of a command (enqueue or read) that found Redis unreachable after `waitedMs`. */
  unavailable(queue: string, waitedMs: number): Error {
    const reason = `connection ${this.producer.status} after ${waitedMs} ms`;
    return new RedisUnavailableError(backendMessages.backendUnavailable(queue, 'Redis', reason));
  }

  async markAborted(queue: string, id: string, reason: string): Promise<-1 | 0 | 1> {
    const bull = this.queue(queue);
    const keys = [bull.toKey(id), bull.toKey('completed'), bull.toKey('failed')];
    return (await this.producer.eval(MARK_ABORTED_SCRIPT, keys.length, ...keys, id, reason)) as
      -1 | 0 | 1;
  }

  async addWaiter(event: string, field: string, body: string): Promise<void> {
    await this.producer.hset(this.waitersKey(event), field, body);
  }

  async takeWaiter(event: string, field: string): Promise<boolean> {
    return (await this.producer.hdel(this.waitersKey(event), field)) === 1;
  }

  listWaiters(event: string): Promise<string[]> {
    return this.producer.hvals(this.waitersKey(event));
  }

  /** The hash of the waiters of `event`, under the prefix (its hash tag on a Cluster). */
  private waitersKey(event: string): string {
    return `${this.prefix}:task-queue-events:${event}`;
  }

  async publishAbort(queue: string, id: string): Promise<void> {
    await this.producer.publish(abortChannel(this.prefix, queue), id);
  }

  async subscribeAborts(
    queues: readonly string[],
    onAbort: (queue: string, id: string) => void,
  ): Promise<void> {
    const channels = new Map(queues.map((queue) => [abortChannel(this.prefix, queue), queue]));
    this.subscriber = this.workerConnection.duplicate();
    watchOutage(this.subscriber, 'Redis connection (abort requests)', this.outage);
    this.subscriber.on('message', (channel: string, id: string) => {
      const queue = channels.get(channel);
      if (queue) onAbort(queue, id);
    });
    await this.subscriber.subscribe(...channels.keys());
  }

  withLock<T>(
    name: string,
    work: () => Promise<T>,
    cancelled: () => boolean,
  ): Promise<T | undefined> {
    const key = `${this.prefix}:${name}`;
    return withRedisLock(this.workerConnection, key, SCHEDULE_LOCK_TTL_MS, work, cancelled);
  }

  onceReachable(listener: () => void): () => void {
    const client = this.workerConnection;
    client.once('ready', listener);
    return () => client.off('ready', listener);
  }

  disconnectWorkers(): void {
    this.workerClient?.disconnect();
  }

  /** A key no command of BullMQ or this library removes: gone means Redis lost its data. */
  private get keptMarker(): string {
    return `${this.prefix}:task-queue:kept`;
  }

  override async stillKept(): Promise<boolean> {
    return (await this.workerConnection.exists(this.keptMarker)) === 1;
  }

  override async markKept(): Promise<void> {
    await this.workerConnection.set(this.keptMarker, '1');
  }

  /** Whether Redis may evict keys, read with CONFIG GET (often disabled on managed Redis). */
  async maxmemoryPolicy(): Promise<string | undefined> {
    const [, policy] = (await this.producer.config('GET', 'maxmemory-policy')) as string[];
    return policy;
  }

  protected async closeConnections(): Promise<void> {
    await Promise.all([
      closeRedisClient(this.subscriber),
      closeRedisClient(this.workerClient),
      closeRedisClient(this.producerClient),
    ]);
  }
}
