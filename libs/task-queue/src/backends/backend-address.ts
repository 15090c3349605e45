import type { BackendOptions } from './backend-options.js';
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
 * @internal Which backend the queues live on and where, for log lines and errors: kind, host,
 * port and database (or the PGlite directory), as `Redis at 10.0.0.5:6379/0`. Never a user
 * name or password, which is why URLs are taken apart rather than shown masked.
 */
export function describeBackend(backend: BackendOptions): string {
  if (backend.kind === 'redis') {
    const { connection } = backend;
    if (typeof connection === 'string') {
      return `Redis at ${describeUrl(connection, 6379)}`;
    }
    const { cluster } = connection as Partial<ClusterConnection>;
    if (cluster) {
      const nodes = cluster.nodes.map((node) => {
        if (typeof node === 'number') return `localhost:${node}`;
        if (typeof node === 'string') return node.includes('//') ? describeUrl(node, 6379) : node;
        return `${node.host ?? 'localhost'}:${node.port ?? 6379}`;
      });
      return `Redis Cluster at ${nodes.join(', ')}`;
    }
    return `Redis at ${describePlace(connection as Place, 6379, '0')}`;
  }
  if (backend.kind === 'postgres') {
    const { source } = backend;
    if ('url' in source) return `PostgreSQL at ${describeUrl(source.url, 5432)}`;
    if ('config' in source) {
      return `PostgreSQL at ${describePlace(source.config, 5432, 'postgres')}`;
    }
    const options = (source.pool as { options?: Place }).options;
    const where = options ? ` at ${describePlace(options, 5432, 'postgres')}` : '';
    return `PostgreSQL (the pg Pool given)${where}`;
  }
  const { source } = backend;
  if ('db' in source) {
    const dataDir = (source.db as { dataDir?: unknown }).dataDir;
    const where = typeof dataDir === 'string' && dataDir ? ` in ${dataDir}` : '';
    return `embedded PostgreSQL (PGlite, the instance given${where})`;
  }
  const where = source.dataDir === undefined ? 'in memory' : `in ${source.dataDir}`;
  return `embedded PostgreSQL (PGlite) ${where}`;
}

/** @internal The namespace of the queues, for a log line: `prefix 'bull'` or `schema 'jobs'`. */
export function describeNamespace(backend: BackendOptions): string | undefined {
  if (backend.kind === 'redis') return `prefix '${backend.prefix}'`;
  return backend.schema === undefined ? undefined : `schema '${backend.schema}'`;
}
