import type { ClusterConnection } from '../interfaces/task-queue-options.interface.js';
import type { BackendOptions } from './backend-options.js';

/** What stands in for a password in a URL shown to people. */
const MASK = '****';

/**
 * @internal A URL as it may be shown in logs and errors: its password, if any, masked
 * (`redis://:****@host:6379`); a string that is not a URL is returned as it is.
 */
export function withoutPassword(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (!parsed.password) return url;
  parsed.password = MASK;
  return parsed.toString();
}

/** The host and port of some connection settings, with the defaults of their client. */
function hostPort(
  settings: { host?: unknown; port?: unknown; path?: unknown },
  defaultPort: number,
): string {
  if (typeof settings.path === 'string') return settings.path;
  const host = typeof settings.host === 'string' ? settings.host : '127.0.0.1';
  const port = typeof settings.port === 'number' || typeof settings.port === 'string';
  return `${host}:${port ? String(settings.port) : defaultPort}`;
}

/**
 * @internal Which backend the module uses and where, for people, never with a password:
 * `Redis at redis://127.0.0.1:6379`, `PostgreSQL at postgres://app:****@db:5432/app`,
 * `PGlite in memory`.
 */
export function describeBackend(backend: BackendOptions): string {
  switch (backend.kind) {
    case 'redis': {
      const { connection } = backend;
      if (typeof connection === 'string') return `Redis at ${withoutPassword(connection)}`;
      if ('cluster' in connection) {
        const { nodes } = (connection as ClusterConnection).cluster;
        const shown = nodes.map((node) =>
          typeof node === 'string'
            ? withoutPassword(node)
            : typeof node === 'number'
              ? `127.0.0.1:${node}`
              : hostPort(node, 6379),
        );
        return `Redis Cluster at ${shown.join(', ')}`;
      }
      return `Redis at ${hostPort(connection, 6379)}`;
    }
    case 'postgres': {
      const { source } = backend;
      if ('url' in source) return `PostgreSQL at ${withoutPassword(source.url)}`;
      if ('pool' in source) return 'PostgreSQL (the pool given as connection)';
      const { connectionString, database } = source.config;
      if (typeof connectionString === 'string') {
        return `PostgreSQL at ${withoutPassword(connectionString)}`;
      }
      const where = hostPort(source.config, 5432);
      return `PostgreSQL at ${where}${typeof database === 'string' ? `/${database}` : ''}`;
    }
    case 'pglite': {
      const { source } = backend;
      if ('db' in source) return 'PGlite (the instance given as connection)';
      return source.dataDir === undefined ? 'PGlite in memory' : `PGlite in ${source.dataDir}`;
    }
  }
}
