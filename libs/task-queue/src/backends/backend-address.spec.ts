import { describe, expect, it } from '@jest/globals';
import { resolveBackendOptions } from './backend-options.js';
import type { TaskQueueConnection } from '../interfaces/task-queue-options.interface.js';
import { describeBackend, describeNamespace } from './backend-address.js';

const described = (connection: TaskQueueConnection, prefix?: string) => {
  const backend = resolveBackendOptions(connection, prefix, 'bull');
  return `${describeBackend(backend)}, ${describeNamespace(backend)}`;
};

describe('describeBackend', () => {
  it.each<[TaskQueueConnection, string | undefined, string]>([
    [
      'redis://:hunter2@cache.internal:6380/3',
      undefined,
      "Redis at cache.internal:6380/3, prefix 'bull'",
    ],
    ['rediss://user:hunter2@cache.internal', 'jobs', "Redis at cache.internal:6379, prefix 'jobs'"],
    [
      { host: '10.0.0.5', password: 'hunter2', db: 2 },
      undefined,
      "Redis at 10.0.0.5:6379/2, prefix 'bull'",
    ],
    [
      { cluster: { nodes: ['redis://:hunter2@a:7000', { host: 'b', port: 7001 }, 7002] } },
      '{bull}',
      "Redis Cluster at a:7000, b:7001, localhost:7002, prefix '{bull}'",
    ],
    [
      'postgres://app:hunter2@db.internal:5433/jobs',
      undefined,
      "PostgreSQL at db.internal:5433/jobs, schema 'bullmq'",
    ],
    [
      { postgres: { host: 'db', user: 'app', password: 'hunter2', database: 'jobs', schema: 'q' } },
      undefined,
      "PostgreSQL at db:5432/jobs, schema 'q'",
    ],
    [
      { postgres: { connectionString: 'postgresql://app:hunter2@db/jobs' } },
      'queues',
      "PostgreSQL at db:5432/jobs, schema 'queues'",
    ],
    ['pglite:memory', undefined, "embedded PostgreSQL (PGlite) in memory, schema 'bullmq'"],
    [
      'pglite:./data/queues',
      undefined,
      "embedded PostgreSQL (PGlite) in ./data/queues, schema 'bullmq'",
    ],
  ])('%j (prefix %s): %s, never the password', (connection, prefix, expected) => {
    const text = described(connection, prefix);
    expect(text).toBe(expected);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('app');
  });
});
