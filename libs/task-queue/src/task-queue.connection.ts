import type { LoggerService } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * `producer`: enqueueing fails fast while Redis is unreachable (no offline queue).
 * `worker`: reconnects forever and never gives up on a command, as BullMQ requires of
 * workers and of the blocking connections it duplicates from this client.
 */
export type ConnectionPolicy = 'producer' | 'worker';

const POLICIES: Record<ConnectionPolicy, RedisOptions> = {
  producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1 },
  worker: { maxRetriesPerRequest: null },
};

// ioredis waits this long (default 2 s) for a socket to close after disconnect(), even one
// that never connected; shutting down while Redis is unreachable would keep the process up.
const DISCONNECT_TIMEOUT_MS = 300;

/**
 * @internal Creates an ioredis client for one policy. It connects on first use: nothing is
 * opened while Nest builds the application.
 */
export function createRedisClient(
  connection: string | RedisOptions,
  policy: ConnectionPolicy,
  logger: LoggerService,
): Redis {
  const options: RedisOptions = {
    ...POLICIES[policy],
    lazyConnect: true,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
  const client =
    typeof connection === 'string'
      ? new Redis(connection, options)
      : new Redis({ ...connection, ...options });
  // ioredis reports every failed reconnect; one line per outage is enough.
  let reported = false;
  client.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    logger.error(`Redis connection (${policy}) failed: ${error.message}; retrying.`);
  });
  client.on('ready', () => {
    if (reported) logger.log(`Redis connection (${policy}) is back.`);
    reported = false;
  });
  return client;
}

/**
 * @internal Resolves `true` once the client is ready, or `false` after `timeoutMs`.
 * Starts connecting a client that has not connected yet.
 */
export function whenReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  if (client.status === 'end') return Promise.resolve(false);
  if (client.status === 'wait') client.connect().catch(() => undefined);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.once('ready', onReady);
  });
}

/** @internal Closes a client whatever state it is in. */
export async function closeRedisClient(client: Redis | undefined): Promise<void> {
  if (!client || client.status === 'end') return;
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
