import { isPgPool } from 'bullmq';
import { TaskQueueConfigError } from '../errors/index.js';
import type { ClusterNode, RedisConnection } from '../interfaces/task-queue-options.interface.js';
import { nestBullMessages } from './nest-bullmq.messages.js';

/** @internal What the module takes from `BullModule.forRoot()` when it is given no connection. */
export interface SharedBullDefaults {
  connection?: RedisConnection;
  prefix?: string;
}

/** An ioredis client, as BullMQ accepts one for `connection`. */
interface IoredisClient {
  duplicate(): unknown;
  isCluster?: boolean;
  options?: Record<string, unknown>;
  startupNodes?: ClusterNode[];
}

/**
 * @internal Reads the configuration `BullModule.forRoot()` shares: its Redis connection (options,
 * a URL, or an ioredis client) and its key prefix. Redis only: BullModule makes Redis queues.
 */
export function fromSharedBullConfig(shared: unknown): SharedBullDefaults {
  if (typeof shared !== 'object' || shared === null) return {};
  const { connection, prefix } = shared as { connection?: unknown; prefix?: unknown };
  return {
    ...(connection === undefined ? {} : { connection: redisConnectionOf(connection) }),
    ...(typeof prefix === 'string' ? { prefix } : {}),
  };
}

function redisConnectionOf(connection: unknown): RedisConnection {
  if (typeof connection !== 'object' || connection === null || isPgPool(connection)) {
    throw new TaskQueueConfigError(nestBullMessages.unusableSharedBullConnection());
  }
  const client = connection as Partial<IoredisClient>;
  if (typeof client.duplicate === 'function') {
    // This module opens clients of its own (enqueueing fails fast, workers wait for Redis):
    // it takes the shared client's settings, not the client.
    if (client.isCluster) {
      return { cluster: { nodes: client.startupNodes ?? [], options: client.options } };
    }
    return { ...client.options };
  }
  const { url, ...rest } = connection as { url?: unknown };
  if (url === undefined) return connection;
  if (typeof url === 'string' && Object.keys(rest).every((key) => key === 'skipVersionCheck')) {
    return url;
  }
  throw new TaskQueueConfigError(nestBullMessages.unusableSharedBullConnection());
}
