import { isPgPool, type PgPool } from 'bullmq';
import { TaskQueueConfigError } from '../errors/index.js';
import type {
  ClusterConnection,
  PostgresPoolConfig,
  RedisConnection,
  TaskQueueConnection,
} from '../interfaces/task-queue-options.interface.js';
import { backendMessages } from './backend.messages.js';
import { optionMessages } from '../options/options.messages.js';
import type { PGliteLike } from './postgres/pglite.pool.js';

/** BullMQ's default PostgreSQL schema, used when neither `schema` nor `prefix` names one. */
const DEFAULT_SCHEMA = 'bullmq';

/** A PostgreSQL schema name as BullMQ accepts it (it quotes it into its DDL). */
const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** @internal The backend a `connection` setting names, checked, with its namespace. */
export type BackendOptions =
  | { kind: 'redis'; connection: RedisConnection; prefix: string }
  | {
      kind: 'postgres';
      source: { url: string } | { config: PostgresPoolConfig } | { pool: PgPool };
      /** `undefined` with a ready-made pool: its `search_path` decides. */
      schema: string | undefined;
    }
  | { kind: 'pglite'; source: { dataDir?: string } | { db: PGliteLike }; schema: string };

const invalid = (value: unknown, problem: string): never => {
  throw new TaskQueueConfigError(backendMessages.invalidConnection(value, problem));
};

function checkedSchema(option: string, schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_PATTERN.test(schema)) {
    throw new TaskQueueConfigError(backendMessages.invalidSchema(option, schema));
  }
  return schema;
}

/**
 * @internal Reads the `connection` setting. `prefix` is the one the user gave, if any: on
 * PostgreSQL it names the schema unless the connection names one itself.
 */
export function resolveBackendOptions(
  connection: TaskQueueConnection,
  prefix: string | undefined,
  defaultPrefix: string,
): BackendOptions {
  const schemaOf = (explicit: unknown) =>
    explicit !== undefined
      ? checkedSchema('connection.postgres.schema', explicit)
      : prefix !== undefined
        ? checkedSchema('prefix', prefix)
        : DEFAULT_SCHEMA;

  if (typeof connection === 'string') {
    if (/^rediss?:\/\//.test(connection)) {
      return { kind: 'redis', connection, prefix: prefix ?? defaultPrefix };
    }
    if (/^postgres(ql)?:\/\//.test(connection)) {
      return { kind: 'postgres', source: { url: connection }, schema: schemaOf(undefined) };
    }
    if (connection === 'pglite:memory') {
      return { kind: 'pglite', source: {}, schema: schemaOf(undefined) };
    }
    if (/^pglite:.+/.test(connection)) {
      const dataDir = connection.slice('pglite:'.length);
      return { kind: 'pglite', source: { dataDir }, schema: schemaOf(undefined) };
    }
    return invalid(connection, 'is not a URL this module knows');
  }
  if (typeof connection !== 'object' || connection === null) {
    return invalid(connection, 'is neither a URL nor an object');
  }
  if ('postgres' in connection || 'pglite' in connection) {
    refuseOtherEntries(connection, 'postgres' in connection ? 'postgres' : 'pglite');
  }
  if ('postgres' in connection) {
    const target: unknown = connection.postgres;
    if (typeof target === 'string') {
      if (!/^postgres(ql)?:\/\//.test(target)) {
        invalid(target, 'names a PostgreSQL URL that does not start with postgres://');
      }
      return { kind: 'postgres', source: { url: target }, schema: schemaOf(undefined) };
    }
    if (isPgPool(target)) {
      if (prefix !== undefined)
        throw new TaskQueueConfigError(backendMessages.namespaceWithPool('prefix'));
      return { kind: 'postgres', source: { pool: target }, schema: undefined };
    }
    if (typeof target !== 'object' || target === null) {
      return invalid(target, 'has a postgres entry that is not a URL, PoolConfig or Pool');
    }
    const config = target as PostgresPoolConfig;
    return { kind: 'postgres', source: { config }, schema: schemaOf(config.schema) };
  }
  if ('pglite' in connection) {
    const db: unknown = connection.pglite;
    if (!isPGlite(db)) return invalid(db, 'has a pglite entry that is not a PGlite instance');
    return { kind: 'pglite', source: { db }, schema: schemaOf(undefined) };
  }
  const redisPrefix = prefix ?? defaultPrefix;
  if ('cluster' in connection) {
    // Redis options allow any key, so `in` cannot narrow them away from a cluster.
    const nodes: unknown = (connection as ClusterConnection).cluster?.nodes;
    if (!Array.isArray(nodes) || nodes.length === 0) {
      throw new TaskQueueConfigError(
        optionMessages.invalidOption(
          'connection.cluster.nodes',
          nodes,
          'a non-empty array of { host, port } or URLs',
        ),
      );
    }
    if (!/\{[^{}]+\}/.test(redisPrefix)) {
      throw new TaskQueueConfigError(backendMessages.clusterPrefixWithoutHashTag(redisPrefix));
    }
  }
  return { kind: 'redis', connection, prefix: redisPrefix };
}

/**
 * `{ postgres }` and `{ pglite }` take nothing beside their one entry: a Redis setting there
 * (`cluster`, ioredis options) or the other backend would otherwise be ignored without a word.
 */
function refuseOtherEntries(connection: object, entry: 'postgres' | 'pglite'): void {
  const other = Object.keys(connection).find((key) => key !== entry);
  if (other !== undefined) {
    throw new TaskQueueConfigError(backendMessages.connectionEntryBeside(other, entry));
  }
}

function isPGlite(value: unknown): value is PGliteLike {
  const db = value as Partial<Record<string, unknown>> | null;
  return (
    typeof db === 'object' &&
    db !== null &&
    typeof db.query === 'function' &&
    typeof db.exec === 'function' &&
    typeof db.listen === 'function'
  );
}
