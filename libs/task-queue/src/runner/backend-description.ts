import type { BackendOptions } from '../backends/backend-options.js';
import type { ClusterConnection } from '../interfaces/task-queue-options.interface.js';

/** The host, port and database of a connection URL; never its user or password. */
function describeUrl(text: string, defaultPort: number): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'an unreadable URL';
  }
  const database = url.pathname.replace(/^\//, '');
  const where = `${url.hostname || 'localhost'}:${url.port || defaultPort}`;
  return database ? `${where}/${database}` : where;
}

interface Place {
  host?: string;
  port?: number;
  database?: string;
  db?: number;
  path?: string;
  connectionString?: string;
}

function describePlace(place: Place, defaultPort: number, defaultDb: string): string {
  if (place.connectionString) return describeUrl(place.connectionString, defaultPort);
  if (place.path) return place.path;
  const database = place.database ?? (place.db === undefined ? defaultDb : String(place.db));
  return `${place.host ?? 'localhost'}:${place.port ?? defaultPort}/${database}`;
}

/**
 * @internal Where the queues live, for a log line: kind, host, port and database (or the
 * PGlite directory) and the namespace. Never a user name or password.
 */
export function describeBackend(backend: BackendOptions): string {
  if (backend.kind === 'redis') {
    const { connection, prefix } = backend;
    const namespace = `, prefix '${prefix}'`;
    if (typeof connection === 'string') {
      return `Redis at ${describeUrl(connection, 6379)}${namespace}`;
    }
    const { cluster } = connection as Partial<ClusterConnection>;
    if (cluster) {
      const nodes = cluster.nodes.map((node) => {
        if (typeof node === 'number') return `localhost:${node}`;
        if (typeof node === 'string') return node.includes('//') ? describeUrl(node, 6379) : node;
        return `${node.host ?? 'localhost'}:${node.port ?? 6379}`;
      });
      return `Redis Cluster at ${nodes.join(', ')}${namespace}`;
    }
    return `Redis at ${describePlace(connection as Place, 6379, '0')}${namespace}`;
  }
  const schema = backend.schema === undefined ? '' : `, schema '${backend.schema}'`;
  if (backend.kind === 'postgres') {
    const { source } = backend;
    if ('url' in source) return `PostgreSQL at ${describeUrl(source.url, 5432)}${schema}`;
    if ('config' in source) {
      return `PostgreSQL at ${describePlace(source.config, 5432, 'postgres')}${schema}`;
    }
    const options = (source.pool as { options?: Place }).options;
    const where = options ? ` at ${describePlace(options, 5432, 'postgres')}` : '';
    return `PostgreSQL (the pg Pool given)${where}${schema}`;
  }
  const { source } = backend;
  if ('db' in source) {
    const dataDir = (source.db as { dataDir?: unknown }).dataDir;
    const where = typeof dataDir === 'string' && dataDir ? ` in ${dataDir}` : '';
    return `embedded PostgreSQL (PGlite, the instance given${where})${schema}`;
  }
  const where = source.dataDir === undefined ? 'in memory' : `in ${source.dataDir}`;
  return `embedded PostgreSQL (PGlite) ${where}${schema}`;
}
