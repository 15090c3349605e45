import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type {
  ClusterConnection,
  RedisConnection,
} from '../../interfaces/task-queue-options.interface.js';
import type { BackendOutage } from '../backend-outage.js';

/**
 * `producer`: enqueueing fails fast while Redis is unreachable (no offline queue).
 * `worker`: reconnects forever and never gives up on a command, as BullMQ requires of
 * workers and of the blocking connections it duplicates from this client.
 */
export type ConnectionPolicy = 'producer' | 'worker';

/** @internal A client of one Redis server or of a Redis Cluster; both speak the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * @internal The two client classes of ioredis, an optional peer loaded only when the
 * connection is Redis (PostgreSQL users need not install it).
 */
export interface IORedis {
  Redis: typeof Redis;
  Cluster: typeof Cluster;
}

const POLICIES: Record<ConnectionPolicy, RedisOptions> = {
  producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1 },
  worker: { maxRetriesPerRequest: null },
};

// ioredis waits this long (default 2 s) for a socket to close after disconnect(), even one
// that never connected; shutting down while Redis is unreachable would keep the process up.
const DISCONNECT_TIMEOUT_MS = 300;

/** How long a QUIT may take before the client is disconnected instead, in ms. */
const QUIT_TIMEOUT_MS = 1000;

/**
 * @internal Creates an ioredis client for one policy, connecting at once (the backend makes it
 * on first use: nothing is opened while Nest builds the application). Its failed connects and
 * its getting ready go to `outage`.
 */
export function createRedisClient(
  { Redis, Cluster }: IORedis,
  connection: RedisConnection,
  policy: ConnectionPolicy,
  outage: BackendOutage,
): RedisClient {
  const options: RedisOptions = {
    ...POLICIES[policy],
    // Not lazy: BullMQ duplicates this client for its blocking connections, and a lazy one that
    // BullMQ connects while Redis is down rejects once and leaves the worker dead for good;
    // one already connecting is waited for until Redis answers.
    lazyConnect: false,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
  const client =
    typeof connection === 'string'
      ? new Redis(connection, options)
      : 'cluster' in connection
        ? createCluster(Cluster, (connection as ClusterConnection).cluster, options)
        : new Redis({ ...connection, ...options });
  watchOutage(client, `Redis connection (${policy})`, outage);
  return client;
}

/**
 * @internal Hands a client's connection errors to `outage` (ioredis reports each failed
 * reconnect), and its getting ready, which ends an outage.
 */
export function watchOutage(client: RedisClient, source: string, outage: BackendOutage): void {
  let wasReady = false;
  client.on('error', (error: Error) => outage.failed(source, error));
  client.on('ready', () => {
    if (wasReady) outage.reconnected();
    else outage.reachable();
    wasReady = true;
  });
}

/** A cluster client: the policy's offline queue is the cluster's, the rest each node's. */
function createCluster(
  Cluster: IORedis['Cluster'],
  { nodes, options = {} }: ClusterConnection['cluster'],
  { enableOfflineQueue, lazyConnect, ...nodeOptions }: RedisOptions,
): Cluster {
  // The public type is BullMQ's structural one, so that users need no ioredis types.
  const clusterOptions = options as ClusterOptions;
  return new Cluster(nodes, {
    ...clusterOptions,
    lazyConnect,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    redisOptions: { ...clusterOptions.redisOptions, ...nodeOptions },
  });
}

/** Waits under way, per client: callers that arrive meanwhile share one. */
const readyWaits = new WeakMap<RedisClient, { timeoutMs: number; ready: Promise<boolean> }>();

/**
 * @internal Resolves `true` once the client is ready, or `false` after `timeoutMs`.
 * Starts connecting a client that has not connected yet. Calls made while a wait with the same
 * timeout is under way share it: a burst of enqueues at start-up adds one pair of listeners to
 * the client, not one per call (which would trip Node's MaxListenersExceededWarning at 11).
 */
export function whenReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  if (client.status === 'end') return Promise.resolve(false);
  const pending = readyWaits.get(client);
  if (pending?.timeoutMs === timeoutMs) return pending.ready;
  const ready = waitUntilReady(client, timeoutMs).finally(() => {
    if (readyWaits.get(client)?.ready === ready) readyWaits.delete(client);
  });
  readyWaits.set(client, { timeoutMs, ready });
  return ready;
}

function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'wait') client.connect().catch(() => undefined);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      resolve(ready);
    };
    const onReady = () => done(true);
    // Closed while waiting (the application shuts down): it will never be ready.
    const onEnd = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/** @internal Whether a ready client gets an answer to PING within `timeoutMs`. */
export async function answersPing(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, timeoutMs, false)));
  const pong = client.ping().then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([pong, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @internal Closes a client whatever state it is in. A QUIT that Redis does not answer (it
 * died a moment ago and the socket has not noticed yet) is cut short by a disconnect.
 */
export async function closeRedisClient(client: RedisClient | undefined): Promise<void> {
  if (!client || client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>(
    (resolve) => (timer = setTimeout(resolve, QUIT_TIMEOUT_MS, 'late')),
  );
  const quit = client.quit().then(
    () => 'quit' as const,
    () => 'late' as const,
  );
  if ((await Promise.race([quit, late])) === 'late') client.disconnect();
  clearTimeout(timer);
}
