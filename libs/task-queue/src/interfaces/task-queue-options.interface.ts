import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import type { RetentionOptions } from './task-options.interface.js';

/**
 * A Redis Cluster to connect to: some of its nodes (the rest are discovered) and ioredis
 * `Cluster` options. Give the module a hash-tag `prefix` such as `'{bull}'` so that each
 * queue's keys live in one slot, as BullMQ's scripts need.
 *
 * @example
 * ```ts
 * TaskQueueModule.forRoot({
 *   connection: { cluster: { nodes: [{ host: '10.0.0.1', port: 6379 }] } },
 *   prefix: '{bull}',
 * })
 * ```
 */
export interface ClusterConnection {
  cluster: { nodes: ClusterNode[]; options?: ClusterOptions };
}

/** A `redis://` or `rediss://` URL, ioredis options, or a Redis Cluster. */
export type TaskQueueConnection = string | RedisOptions | ClusterConnection;

/** Settings of one queue. */
export interface QueueSettings {
  /** Jobs of this queue run at once in one worker process. Default 10. */
  concurrency?: number;
}

/** Which queues this process works on, and how hard. */
export interface WorkerSettings {
  /** Queues to run workers for. Default: every configured queue. */
  queues?: string[];
  /** Overrides the per-queue concurrency for every queue this process works on. */
  concurrency?: number;
}

/**
 * Options of {@link TaskQueueModule.forRoot}.
 *
 * @example
 * ```ts
 * TaskQueueModule.forRoot({
 *   connection: 'redis://127.0.0.1:6379',
 *   queues: { default: { concurrency: 10 }, emails: { concurrency: 5 } },
 *   defaultQueue: 'default',
 * })
 * ```
 */
export interface TaskQueueModuleOptions {
  /**
   * A `redis://` or `rediss://` URL, ioredis options, or `{ cluster: { nodes, options? } }` for a
   * Redis Cluster (with a hash-tag `prefix`). Default `redis://127.0.0.1:6379`.
   */
  connection?: TaskQueueConnection;
  /** Queue names, or names with settings. Default `['default']`. */
  queues?: string[] | Record<string, QueueSettings>;
  /** Queue of tasks that name none. Must be one of `queues`. Default `'default'`. */
  defaultQueue?: string;
  /** Redis key prefix. Default `'bull'`; use a hash tag such as `'{bull}'` on Redis Cluster. */
  prefix?: string;
  /** `true` (default) runs workers for every queue here; `false` only enqueues. */
  worker?: boolean | WorkerSettings;
  /**
   * Seconds a run may take when its task sets no `timeout`. Default 300; `0` means no limit.
   */
  defaultTimeout?: number;
  /**
   * Seconds active jobs get to finish when the application shuts down; past it their signals
   * abort and they go back on their queue to run again. Default 25.
   */
  shutdownGracePeriod?: number;
  /**
   * Largest payload `enqueue` accepts, in bytes of its JSON. Default 10 MiB (10485760): every
   * job's data is held in Redis memory and read by each worker that takes it.
   */
  maxPayloadBytes?: number;
  /** Finished jobs kept, unless a task says otherwise. */
  retention?: RetentionOptions;
  /**
   * Adds each job's payload to the log line written when it finishes. Default `false`: payloads
   * may hold personal data or secrets.
   */
  logPayloads?: boolean;
}
