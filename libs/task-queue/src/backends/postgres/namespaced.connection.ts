import { createHash } from 'node:crypto';
import {
  ConnectionClosedError,
  PostgresQueueBackend,
  type BackendFactory,
  type PgPool,
  type PgPoolClient,
  type PostgresConnectionOptions,
} from 'bullmq';
import { retryDeadlocks } from './postgres.deadlock-retry.js';
import { batchCompletions } from './postgres.finish-batch.js';
import { extendLocksInOrder } from './postgres.lock-order.js';
import { guardPromote } from './postgres.promote.js';
import { routeAddsThroughTransactions } from './postgres.transactions.js';
import type { PostgresSchema } from './postgres.schema.js';
import { SharedListenConnection, type SharedListen } from './shared-listen.connection.js';

/**
 * @internal What every BullMQ object of one application shares on PostgreSQL: the pool that
 * runs queries, the application's one LISTEN connection, and the schema.
 */
export interface SharedPostgres {
  pool: PgPool;
  /**
   * The LISTEN connection every worker and event stream shares, and where they register so
   * `getWorkers()` finds them. Unset on PGlite, whose connections are views of its one session:
   * each BullMQ object takes one of its own, as BullMQ does.
   */
  listen?: SharedListen;
  /** Without `listen`: a connection of its own for a long-lived LISTEN; `release()` closes it. */
  listenClient(): Promise<PgPoolClient>;
  /** Whether LISTEN connections detect a silent drop (TCP keepalive). */
  keepAlive: boolean;
  /** Whether the pool prepares named statements (node-postgres; PGlite's runs text only). */
  namedStatements: boolean;
  /** The schema, ready for BullMQ once migrations (if any) have run. */
  schema: Pick<PostgresSchema, 'whenReady'>;
}

/**
 * BullMQ's connection, given a pool of ours: it reads the schema we resolved instead of its
 * default one (given a ready-made pool, BullMQ checks the schema `bullmq`). BullMQ could build a
 * pool itself from a config naming the schema (its `require('pg')` works: Node loads its
 * CommonJS build), but one per BullMQ object, and none on PGlite; ours is the application's one
 * pool, and BullMQ waits here until the module has made the schema ready (its migrations). The
 * pool is a view of the shared one per BullMQ object, since BullMQ adds an error listener to
 * its pool.
 */
class NamespacedConnection extends SharedListenConnection {
  constructor(private readonly shared: SharedPostgres) {
    super(poolView(shared), shared.listen);
  }

  /** Whether the pool prepares named statements. */
  get namedStatements(): boolean {
    return this.shared.namedStatements;
  }

  override async waitUntilReady(): Promise<void> {
    const schema = await this.shared.schema.whenReady();
    if (this.schema !== schema) Object.defineProperty(this, 'schema', { value: schema });
    if (this.shared.listen) return super.waitUntilReady();
    // PGlite: BullMQ would check the schema again, on a connection of its own, for each object
    // (the check the schema's readiness has made). Made inside a caller's transaction (the
    // first transactional enqueue on a queue), that query would wait for the transaction.
    return (this.announced ??= this.announceReady());
  }

  private announced?: Promise<void>;

  private async announceReady(): Promise<void> {
    // As BullMQ's own readiness does: listeners attached after construction still hear it.
    setTimeout(() => this.emit('ready'), 0);
  }
}

/** How long a worker waits before it claims again while its queue is at its global limit, in ms. */
const AT_LIMIT_WAIT_MS = 100;

/**
 * Whether queue $1 runs as many jobs as its global concurrency allows (NULL without one), read
 * from BullMQ's `job` and `meta` tables; pinned by test/flow-control.e2e-spec.ts (a queue at its
 * global concurrency waits between claims, and never runs more than it allows).
 */
const AT_LIMIT = `SELECT (SELECT count(*) FROM job WHERE queue = $1 AND state = 'active') >=
  (SELECT value::integer FROM meta WHERE queue = $1 AND field = 'concurrency') AS at_limit`;

/** What BullMQ appends to a queue's name to name its event streams. */
const EVENTS_SUFFIX = ':qe';

type NextJob = Awaited<ReturnType<PostgresQueueBackend['moveToActive']>>;

/**
 * BullMQ's PostgreSQL backend, with the connections of workers and event streams named after
 * the schema too. BullMQ names them by queue alone (`application_name`) and counts a queue's
 * workers over the whole server: the workers of another schema's queue of the same name (another
 * application, another test) would count as this one's.
 *
 * And a worker that waits while its queue is at its global concurrency. BullMQ 6.7 wakes a
 * waiting worker whenever its queue has a waiting job, even one the claim that follows may not
 * take for that limit: the worker would claim again at once, query after query, for as long as
 * the queue stays at its limit. When a wake is followed by a claim that found nothing, a
 * worker of a queue at its limit now waits {@link AT_LIMIT_WAIT_MS} before its next wait. A
 * slot that frees up is not left idle meanwhile: the worker that freed it claims the next job
 * as it finishes.
 */
class NamespacedQueueBackend extends PostgresQueueBackend {
  /** Whether this worker's last wait ended because its queue had a job waiting. */
  private woken = false;
  /** Whether the claim that followed such a wake found no job it could take. */
  private claimedNothing = false;
  private endWait?: () => void;

  constructor(
    private readonly namespaced: NamespacedConnection,
    queueName: string,
    opts: ConstructorParameters<typeof PostgresQueueBackend>[2],
    listenName: string | undefined,
  ) {
    super(namespaced, queueName, opts, true, listenName);
    retryDeadlocks(this);
    batchCompletions(this, { prepared: namespaced.namedStatements });
    extendLocksInOrder(this);
    guardPromote(this);
    routeAddsThroughTransactions(this);
  }

  override async moveToActive(token: string, name?: string): Promise<NextJob> {
    const next = await super.moveToActive(token, name);
    // [job, id, rate-limit delay, delayed until]: a rate limit has a wait of its own.
    this.claimedNothing = this.woken && !next[0] && !next[2];
    this.woken = false;
    return next;
  }

  override async waitForJob(blockTimeout: number): ReturnType<PostgresQueueBackend['waitForJob']> {
    if (this.claimedNothing && !this.closing && (await this.atGlobalLimit())) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(AT_LIMIT_WAIT_MS, blockTimeout * 1000));
        this.endWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.endWait = undefined;
    }
    const marker = await super.waitForJob(blockTimeout);
    this.woken = marker !== null;
    return marker;
  }

  override disconnectBlocking(wait?: boolean): Promise<void> {
    this.endWait?.();
    return super.disconnectBlocking(wait);
  }

  private async atGlobalLimit(): Promise<boolean> {
    try {
      const { rows } = await this.namespaced.pool.query(AT_LIMIT, [this.queueName]);
      return (rows[0] as { at_limit: boolean | null } | undefined)?.at_limit === true;
    } catch {
      return false; // BullMQ's own wait reports the outage
    }
  }

  // Workers and event streams register (or, on PGlite, name their connections) under their
  // names after the schema's tag, and are listed here under BullMQ's own names: BullMQ's getters
  // make the names they look for before the queue's connection is ready, when the schema may not
  // be known yet (a first getWorkers() on a new queue object would find none).
  override async getClientList(): Promise<string[]> {
    await this.namespaced.waitUntilReady();
    const { clients } = this.namespaced;
    const lists = clients
      ? [
          await clients.list(
            [this.clientName(), this.clientName(EVENTS_SUFFIX)].map((name) => this.tagged(name)),
          ),
        ]
      : await super.getClientList();
    return lists.map((list) => ofSchema(list, this.tagged('')));
  }

  override setName(name: string): Promise<void> {
    return super.setName(this.tagged(name));
  }

  /** `name` after a short digest of the schema (known once the connection is ready). */
  private tagged(name: string): string {
    const tag = `${createHash('sha1').update(this.namespaced.schema).digest('hex').slice(0, 8)}@`;
    return name.startsWith(tag) ? name : `${tag}${name}`;
  }
}

/**
 * The lines of a client list (`name=<name>` among `key=value` pairs) whose name starts with
 * `tag`, named without it: the clients of this schema, by the names BullMQ gave them.
 */
function ofSchema(list: string, tag: string): string {
  const lines: string[] = [];
  for (const line of list.split('\n')) {
    const pairs = line.split(' ');
    const at = pairs.findIndex((pair) => pair.startsWith(`name=${tag}`));
    if (at < 0) continue;
    pairs[at] = `name=${pairs[at].slice(`name=${tag}`.length)}`;
    lines.push(pairs.join(' '));
  }
  return lines.join('\n');
}

/** The shared pool as BullMQ sees it: queries go to it, LISTEN connections are our own. */
function poolView(shared: SharedPostgres): PgPool {
  const view = {
    options: { keepAlive: shared.keepAlive },
    query: (text: string, params?: readonly unknown[]) =>
      shared.pool.query(text, params).catch((error: unknown) => {
        throw connectionLost(error) ? new ConnectionClosedError(String(error), error) : error;
      }),
    // BullMQ's check of the schema (a moment's connection), and without a shared LISTEN
    // connection each object's own.
    connect: () => (shared.listen ? shared.pool.connect() : shared.listenClient()),
    end: async () => undefined,
    // Pool errors are reported once, by the backend that owns the pool.
    on: () => view,
    removeAllListeners: () => view,
  };
  return view as PgPool;
}

/** SQLSTATEs of a session the server ended (57P0x), and socket errors of a dropped link. */
const LOST = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']);

/**
 * @internal Whether a query failed because the connection went away (a server restart, say), which BullMQ
 * handles by trying again later, rather than because of the query. BullMQ knows Redis's
 * connection errors only: told nothing, a worker whose completion is cut by a restart fails the
 * job with "terminating connection due to administrator command".
 */
export function connectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') return LOST.has(code) || code.startsWith('08');
  // node-postgres gives no code when the socket closes under a query.
  return /^Connection terminated/.test(error.message);
}

/**
 * @internal BullMQ's PostgreSQL backend factory for `shared`, the last constructor argument of
 * its `Queue`, `Worker` and `QueueEvents`. Names workers and event streams as BullMQ's own
 * `createPostgresBackend` does, so `getWorkers()` finds them.
 */
export function postgresBackendFactory(
  shared: SharedPostgres,
): BackendFactory<PostgresQueueBackend, PostgresConnectionOptions> {
  return (name, opts, factoryOpts = {}) => {
    const connection = new NamespacedConnection(shared);
    // Registered workers are listed by their queue's name: the registry finds names by hash,
    // not by the prefix BullMQ matches a named worker's name by.
    const workerName = shared.listen ? undefined : (opts as { name?: string }).name;
    const listenName = factoryOpts.withBlockingConnection
      ? `${name}${workerName ? `:w:${workerName}` : ''}`
      : factoryOpts.blocking
        ? `${name}${EVENTS_SUFFIX}`
        : undefined;
    return new NamespacedQueueBackend(connection, name, opts, listenName);
  };
}
