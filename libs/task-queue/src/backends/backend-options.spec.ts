import { TaskQueueConfigError } from '../errors/index.js';
import { resolveBackendOptions } from './backend-options.js';

const resolve = (connection: unknown, prefix?: string) =>
  resolveBackendOptions(connection as never, prefix, 'bull');

/** Shaped like a pg Pool, as BullMQ recognises one. */
const pool = { connect: async () => ({}), query: async () => ({ rows: [] }), end: async () => {} };
/** Shaped like a PGlite. */
const pglite = { query: async () => ({ rows: [] }), exec: async () => [], listen: async () => {} };

describe('resolveBackendOptions', () => {
  it('reads Redis URLs, options and clusters, with the Redis key prefix', () => {
    expect(resolve('redis://127.0.0.1:6379')).toEqual({
      kind: 'redis',
      connection: 'redis://127.0.0.1:6379',
      prefix: 'bull',
    });
    expect(resolve({ host: 'cache' }, 'app')).toMatchObject({ kind: 'redis', prefix: 'app' });
    expect(resolve({ cluster: { nodes: [{ host: 'a', port: 1 }] } }, '{q}')).toMatchObject({
      kind: 'redis',
      prefix: '{q}',
    });
  });

  it('names the schema on PostgreSQL: the connection’s, else the prefix, else bullmq', () => {
    expect(resolve('postgres://db/app')).toEqual({
      kind: 'postgres',
      source: { url: 'postgres://db/app' },
      schema: 'bullmq',
    });
    expect(resolve('postgresql://db/app', 'tasks')).toMatchObject({ schema: 'tasks' });
    expect(resolve({ postgres: { host: 'db', schema: 'jobs' } }, 'tasks')).toMatchObject({
      kind: 'postgres',
      schema: 'jobs',
    });
    expect(resolve({ postgres: 'postgres://db/app' })).toMatchObject({ schema: 'bullmq' });
  });

  it('leaves the schema to a ready-made pool, and refuses a prefix beside it', () => {
    expect(resolve({ postgres: pool })).toEqual({
      kind: 'postgres',
      source: { pool },
      schema: undefined,
    });
    expect(() => resolve({ postgres: pool }, 'tasks')).toThrow(
      /'prefix' cannot be set with a ready-made pg Pool/,
    );
  });

  it('reads the embedded forms', () => {
    expect(resolve('pglite:memory')).toEqual({ kind: 'pglite', source: {}, schema: 'bullmq' });
    expect(resolve('pglite:./data/queue', 'jobs')).toEqual({
      kind: 'pglite',
      source: { dataDir: './data/queue' },
      schema: 'jobs',
    });
    expect(resolve({ pglite })).toMatchObject({ kind: 'pglite', source: { db: pglite } });
  });

  it.each([
    ['mysql://db', /is not a URL this module knows/],
    [42, /is neither a URL nor an object/],
    [{ postgres: 'mysql://db' }, /does not start with postgres:\/\//],
    [{ postgres: 7 }, /not a URL, PoolConfig or Pool/],
    [{ pglite: {} }, /not a PGlite instance/],
    [{ cluster: { nodes: [] } }, /connection\.cluster\.nodes/],
    [{ cluster: { nodes: [{ host: 'a', port: 1 }] } }, /has no hash tag/],
    [
      { postgres: 'postgres://db/app', cluster: { nodes: [{ host: 'a', port: 1 }] } },
      /option 'connection\.cluster' cannot be used with the PostgreSQL backend/,
    ],
    [
      { postgres: { host: 'db' }, host: 'cache', port: 6379 },
      /option 'connection\.host' cannot be used with the PostgreSQL backend/,
    ],
    [
      { pglite, cluster: { nodes: [{ host: 'a', port: 1 }] } },
      /option 'connection\.cluster' cannot be used with the embedded PostgreSQL \(PGlite\) backend/,
    ],
    [{ pglite, postgres: 'postgres://db/app' }, /option 'connection\.pglite' cannot be used/],
  ])('refuses %p naming what is wrong', (connection, message) => {
    const call = () => resolve(connection);
    expect(call).toThrow(TaskQueueConfigError);
    expect(call).toThrow(message);
  });

  it.each(['my-app', 'has space', '1st', 'x'.repeat(64), '{bull}'])(
    'refuses prefix %p on PostgreSQL: it cannot name a schema',
    (prefix) => {
      expect(() => resolve('postgres://db/app', prefix)).toThrow(/cannot name a PostgreSQL schema/);
    },
  );
});
