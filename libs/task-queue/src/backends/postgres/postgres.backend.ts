import { FlowProducer, Queue, QueueEvents, Worker, type Processor } from 'bullmq';
import type { FinishedJob } from '../bullmq.outcomes.js';
import { BackendUnavailableError } from '../../errors/index.js';
import { backendMessages } from '../backend.messages.js';
import type { Reachability } from '../../observability/backend-health.js';
import { QueueBackend, type QueueRole, type WorkerSettings } from '../queue-backend.js';
import { storeName } from '../../observability/backend-health.js';
import {
  connectionLost,
  postgresBackendFactory,
  type SharedPostgres,
} from './namespaced.connection.js';
import { PostgresAborts } from './postgres.aborts.js';
import { PostgresClients } from './postgres.clients.js';
import { textOf, type PostgresSetup } from './postgres.connection.js';
import { finishedJobs } from './postgres.finished.js';
import { PostgresEventWaiters } from './postgres.event-waiters.js';
import { PostgresLocks } from './postgres.lock.js';
import { PostgresReadiness } from './postgres.readiness.js';
import { PostgresRetention } from './postgres.retention.js';
import { PostgresSchema } from './postgres.schema.js';
import { PostgresSession } from './postgres.session.js';
import { PostgresTransactions } from './postgres.transactions.js';
import type { TaskTransaction } from '../../interfaces/task-transaction.interface.js';

/** How often a wait for a job's outcome also reads the job's state, in ms. */
const EVENT_POLL_MS = 500;

/** How soon a worker whose fetch failed (the server restarting) tries again, in ms. */
const RUN_RETRY_MS = 2000;

/**
 * @internal Queues on PostgreSQL with BullMQ's own PostgreSQL backend, on a server or on an
 * embedded PGlite. Every BullMQ object shares one pool, and on a server one LISTEN connection,
 * also where aborts cross processes (LISTEN/NOTIFY) and locks are held (advisory locks).
 */
export class PostgresBackend extends QueueBackend {
  readonly kind: 'postgres' | 'pglite';
  /**
   * BullMQ's PostgreSQL event stream pages by event id, and ids of concurrent transactions can
   * commit out of order: a reader may step past an event that commits a moment later.
   */
  override readonly eventPollMs = EVENT_POLL_MS;
  private readonly shared: SharedPostgres;
  private readonly factory;
  private readonly schema: PostgresSchema;
  private readonly session: PostgresSession;
  private readonly aborts: PostgresAborts;
  private readonly retention: PostgresRetention;
  private readonly locks: PostgresLocks;
  private readonly transactions: PostgresTransactions;
  private readonly waiters: PostgresEventWaiters;
  private readonly readiness: PostgresReadiness;

  constructor(
    private readonly setup: PostgresSetup,
    where: string,
  ) {
    super(where);
    this.kind = setup.kind;
    this.schema = new PostgresSchema(
      setup.pool,
      storeName(setup.kind),
      setup.schema,
      setup.migrate,
    );
    this.session = new PostgresSession(() => setup.listenClient());
    // PGlite's connections are views of its one session: BullMQ's objects keep one each.
    const clients = new PostgresClients(this.session, setup.pool);
    const listen = setup.kind === 'postgres' ? { session: this.session, clients } : undefined;
    this.shared = {
      pool: setup.pool,
      listen,
      listenClient: () => setup.listenClient(),
      keepAlive: setup.keepAlive,
      namedStatements: setup.kind === 'postgres',
      schema: this.schema,
    };
    this.factory = postgresBackendFactory(this.shared);
    this.aborts = new PostgresAborts(setup.pool, this.session);
    this.locks = new PostgresLocks(this.session);
    this.transactions = new PostgresTransactions(setup.kind, setup.pool, setup.db);
    this.readiness = new PostgresReadiness(
      setup.pool,
      setup.kind,
      this.schema,
      this.transactions,
      this.outage,
    );
    this.waiters = new PostgresEventWaiters(setup.pool, this.readiness);
    this.session.on('error', (error: Error) =>
      this.reportError('PostgreSQL LISTEN connection', error),
    );
    this.retention = new PostgresRetention(setup.pool, this.schema, this.logger, this.outage);
    // An idle connection of the pool that fails has lost the server.
    setup.pool.on('error', (error) => this.outage.failed('PostgreSQL pool', error));
  }

  /** The schema, ready for BullMQ (migrated, or checked when migrations are off). */
  schemaReady(): Promise<string> {
    return this.readiness.schemaReady();
  }

  /** The add's commands go through the caller's transaction, once it is found usable. */
  override async throughTransaction<T>(
    transaction: TaskTransaction,
    queue: string,
    add: () => Promise<T>,
  ): Promise<T> {
    return this.transactions.run(transaction, queue, await this.schemaReady(), add);
  }

  /** BullMQ's migrations, then the table of event waiters (made on first use otherwise). */
  override async migrate(): Promise<{ schema: string; version: number }> {
    const migrated = await this.schema.migrate();
    await this.waiters.ready();
    return migrated;
  }

  // BullMQ types its classes by backend; the rest of the library uses their common API, so
  // they are handed out under the default (Redis) type parameters.
  protected makeQueue(name: string, _role: QueueRole): Queue {
    return new Queue(name, { connection: this.shared.pool }, this.factory) as unknown as Queue;
  }

  protected makeQueueEvents(name: string): QueueEvents {
    const events = new QueueEvents(name, { connection: this.shared.pool }, this.factory);
    return events as unknown as QueueEvents;
  }

  protected makeFlowProducer(): FlowProducer {
    const flows = new FlowProducer({ connection: this.shared.pool }, this.factory);
    return flows as unknown as FlowProducer;
  }

  /** One query for the lot, where BullMQ would read each job's state, then the job. */
  override async finishedJobs(name: string, ids: string[]): Promise<FinishedJob[]> {
    await this.schemaReady();
    return finishedJobs(this.setup.pool, name, ids);
  }

  protected makeWorker(name: string, processor: Processor, settings: WorkerSettings): Worker {
    // BullMQ waits `runRetryDelay` (15 s) after a failed fetch: a worker would stay idle that
    // long after a PostgreSQL restart. A query that fails fast can be retried sooner.
    const options = { runRetryDelay: RUN_RETRY_MS, ...settings, connection: this.shared.pool };
    const run = this.retention.wrap(name, processor);
    const worker = new Worker(name, run, options, this.factory);
    worker.on('completed', () => this.retention.finished(name));
    worker.on('failed', () => this.retention.finished(name));
    return worker as unknown as Worker;
  }

  isReady(): boolean {
    return this.readiness.isReady;
  }

  /** Also the server ending sessions (a restart: 57P01) or refusing them while it starts. */
  protected override isConnectionError(error: Error): boolean {
    return super.isConnectionError(error) || connectionLost(error) || this.outage.ongoing;
  }

  /** Whether the server answers within `timeoutMs`, and then the schema is ready. */
  whenReady(timeoutMs: number): Promise<boolean> {
    return this.readiness.whenReady(timeoutMs);
  }

  /** Whether the server answers a trivial query within `timeoutMs`. */
  ping(timeoutMs: number): Promise<Reachability> {
    return this.readiness.ping(timeoutMs);
  }

  unavailable(queue: string, waitedMs: number): Error {
    if (this.schema.notMigrated) return this.schema.notMigrated;
    const reason = this.readiness.lastError ?? `no answer within ${waitedMs} ms`;
    return new BackendUnavailableError(
      backendMessages.backendUnavailable(queue, storeName(this.kind), reason),
    );
  }

  async outageOf(error: unknown, queue: string): Promise<Error | undefined> {
    if (error instanceof BackendUnavailableError) return error;
    const { reachable, error: why } = await this.ping(1000);
    if (reachable) return undefined;
    return new BackendUnavailableError(
      backendMessages.backendUnavailable(queue, storeName(this.kind), `${textOf(error)}; ${why}`),
      { cause: error },
    );
  }

  async markAborted(queue: string, id: string, reason: string): Promise<-1 | 0 | 1> {
    await this.schemaReady();
    return this.aborts.mark(queue, id, reason);
  }

  addWaiter(event: string, field: string, body: string): Promise<void> {
    return this.waiters.add(event, field, body);
  }

  takeWaiter(event: string, field: string): Promise<boolean> {
    return this.waiters.take(event, field);
  }

  listWaiters(event: string): Promise<string[]> {
    return this.waiters.list(event);
  }

  async publishAbort(queue: string, id: string): Promise<void> {
    await this.aborts.publish(await this.schemaReady(), queue, id);
  }

  async subscribeAborts(
    queues: readonly string[],
    onAbort: (queue: string, id: string) => void,
  ): Promise<void> {
    await this.aborts.listen(await this.schemaReady(), queues, onAbort);
  }

  async withLock<T>(
    name: string,
    work: () => Promise<T>,
    cancelled: () => boolean,
  ): Promise<T | undefined> {
    const key = `task-queue:${await this.schemaReady()}:${name}`;
    return this.locks.run(key, work, cancelled);
  }

  onceReachable(listener: () => void): () => void {
    return this.readiness.onceReachable(listener);
  }

  disconnectWorkers(): void {
    // Workers share the pool; closing it (last, in closeConnections) cuts them off.
  }

  protected async closeConnections(): Promise<void> {
    this.readiness.close();
    this.aborts.close();
    await this.retention.close();
    await this.session.close();
    await this.setup.close();
  }
}
