import { describe } from '../errors/error-text.js';

/** @internal The text of the errors and logs of the backends: connection options, reachability, schema, Redis policy. */
export const backendMessages = {
  clusterPrefixWithoutHashTag: (prefix: string) =>
    `TaskQueueModule: prefix ${JSON.stringify(prefix)} has no hash tag, which Redis Cluster ` +
    `needs: each queue's keys must share a slot for BullMQ's scripts. Use a prefix such as ` +
    `'{bull}' (the part in braces picks the slot).`,
  redisPolicy: (policy: string) =>
    `Redis runs with maxmemory-policy '${policy}': when it fills up it may evict BullMQ's keys ` +
    `and jobs are lost. Set 'maxmemory-policy noeviction' in redis.conf (or CONFIG SET ` +
    `maxmemory-policy noeviction).`,
  failFast: (where: string, seconds: number, reason: string) =>
    `TaskQueueModule: ${where} did not answer within ${seconds} s of bootstrap (failFast): ` +
    `${reason}. Check that it is running and reachable from this host, and that the ` +
    `'connection' setting (host, port, password, TLS) is right; or raise 'failFast', or leave ` +
    `it unset to boot anyway and let the workers wait for the backend.`,
  outageStarted: (where: string, source: string, reason: string) =>
    `${where} is not reachable (${source}: ${reason}). Workers take no job and enqueues fail ` +
    `until it answers; the connections keep retrying. Check that it is running and that the ` +
    `'connection' setting points at it.`,
  outageGoesOn: (where: string, seconds: number, reason: string) =>
    `${where} still not reachable after ${seconds.toFixed(1)} s (${reason}); retrying.`,
  outageEnded: (where: string, seconds: number) =>
    `${where} reachable again after ${seconds.toFixed(1)} s.`,
  backendUnavailable: (queue: string, store: string, reason: string) =>
    `Queue '${queue}': ${store} is not reachable (${reason}); nothing was enqueued or read. ` +
    `Check that ${store} is running and the 'connection' setting points at it.`,
  schemaNotMigrated: (store: string, schema: string, reason: string) =>
    `${store} schema '${schema}' is not ready for the queues (${reason}). Run the migrations ` +
    `in a release step (TaskQueueMigrator.migrate()), or set 'migrate: true' so the ` +
    `application runs them at start.`,
  invalidConnection: (value: unknown, problem: string) =>
    `TaskQueueModule: option 'connection' ${problem} (got ${describe(value)}). Use a ` +
    `redis:// or rediss:// URL, ioredis options, { cluster: { nodes } }, a postgres:// or ` +
    `postgresql:// URL, { postgres: url | PoolConfig | Pool }, 'pglite:memory', ` +
    `'pglite:<directory>' or { pglite: PGlite }.`,
  invalidSchema: (option: string, schema: unknown) =>
    `TaskQueueModule: ${option} ${describe(schema)} cannot name a PostgreSQL schema, which on ` +
    `PostgreSQL is the queues' namespace. Use 1 to 63 letters, digits, "_" or "$", starting ` +
    `with a letter or "_" (e.g. 'tasks_test_1').`,
  connectionEntryBeside: (other: string, entry: 'postgres' | 'pglite') =>
    `TaskQueueModule: option 'connection.${other}' cannot be used with the ` +
    `${entry === 'postgres' ? 'PostgreSQL' : 'embedded PostgreSQL (PGlite)'} backend ` +
    `('connection.${entry}'), which takes no other entry. Remove '${other}'; the settings of ` +
    `that backend's connection go inside 'connection.${entry}'.`,
  namespaceWithPool: (option: string) =>
    `TaskQueueModule: '${option}' cannot be set with a ready-made pg Pool: the pool's own ` +
    `search_path decides the schema. Remove '${option}', or pass { postgres: { ` +
    `connectionString, schema } } and let the module make the pool.`,
};
