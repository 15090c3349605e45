import { describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { TaskQueueConfigError } from '../errors/index.js';
import { resolveConfig } from '../task-queue.config.js';
import { fromSharedBullConfig } from './nest-bullmq.shared-config.js';

describe("BullModule.forRoot()'s shared configuration", () => {
  it('gives its Redis options and prefix to a module given no connection', () => {
    const shared = { connection: { host: 'redis.internal', port: 6380 }, prefix: 'app' };
    expect(resolveConfig({}, shared).backend).toEqual({
      kind: 'redis',
      connection: { host: 'redis.internal', port: 6380 },
      prefix: 'app',
    });
    expect(resolveConfig({ prefix: 'mine' }, shared).backend).toMatchObject({ prefix: 'mine' });
  });

  it('is not read when the module has a connection of its own', () => {
    const shared = { connection: { host: 'redis.internal' }, prefix: 'app' };
    expect(resolveConfig({ connection: 'pglite:memory' }, shared).backend.kind).toBe('pglite');
    expect(resolveConfig({ connection: 'redis://h:1' }, shared).backend).toEqual({
      kind: 'redis',
      connection: 'redis://h:1',
      prefix: 'bull',
    });
  });

  it('takes the settings of a shared ioredis client, not the client', () => {
    const client = new Redis({ host: 'redis.internal', port: 6390, lazyConnect: true });
    const single = fromSharedBullConfig({ connection: client }).connection;
    expect(single).not.toBe(client);
    expect(single).toMatchObject({ host: 'redis.internal', port: 6390 });
    const cluster = new Cluster([{ host: 'n1', port: 7000 }], { lazyConnect: true });
    expect(fromSharedBullConfig({ connection: cluster }).connection).toMatchObject({
      cluster: { nodes: [{ host: 'n1', port: 7000 }] },
    });
  });

  it('takes a lone URL, and refuses what it cannot reopen', () => {
    expect(fromSharedBullConfig({ connection: { url: 'redis://h:2' } })).toEqual({
      connection: 'redis://h:2',
    });
    expect(() => fromSharedBullConfig({ connection: { url: 'redis://h:2', db: 3 } })).toThrow(
      TaskQueueConfigError,
    );
    expect(fromSharedBullConfig(undefined)).toEqual({});
    expect(fromSharedBullConfig({ prefix: 'p' })).toEqual({ prefix: 'p' });
  });
});
