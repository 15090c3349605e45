import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from './redis.connection.js';

// Deletes the lock only if this holder still owns it: after a TTL expiry another process may.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
const POLL_MS = 100;

/**
 * @internal Runs `work` while holding the Redis lock `key`, waiting for it while another
 * process holds it. A holder that dies frees the lock after `ttlMs`. Returns `undefined`
 * without running `work` when `cancelled()` turns true while waiting.
 */
export async function withRedisLock<T>(
  client: RedisClient,
  key: string,
  ttlMs: number,
  work: () => Promise<T>,
  cancelled: () => boolean,
): Promise<T | undefined> {
  const token = randomUUID();
  while ((await client.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (cancelled()) return undefined;
    await sleep(POLL_MS);
  }
  try {
    return await work();
  } finally {
    await client.eval(RELEASE, 1, key, token);
  }
}
