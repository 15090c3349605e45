import pg from 'pg';
import { TaskQueueConfigError } from '../../errors/index.js';
import { resolveConfig } from '../../task-queue.config.js';
import { relayedFlow, relayedOptions } from './outbox.rows.js';

const URL = 'postgres://app@db.internal:5432/app';

describe('forRoot({ outbox })', () => {
  it('takes a postgres:// URL or a pg Pool, in the default schema or one named', async () => {
    expect(resolveConfig({ outbox: { connection: URL } }).outbox).toEqual({
      source: { url: URL },
      schema: 'task_queue_outbox',
    });
    const pool = new pg.Pool({ connectionString: URL });
    const config = resolveConfig({ outbox: { connection: pool, schema: 'jobs_outbox' } });
    expect(config.outbox).toEqual({ source: { pool }, schema: 'jobs_outbox' });
    await pool.end();
    expect(resolveConfig({}).outbox).toBeUndefined();
  });

  it.each([
    [
      'not an object',
      'postgres://x/y',
      /option 'outbox' is "postgres:\/\/x\/y"; expected \{ connection/,
    ],
    [
      'no connection',
      {},
      /'outbox.connection' is undefined; expected a postgres:\/\/ URL or a pg Pool/,
    ],
    ['a Redis URL', { connection: 'redis://x' }, /'outbox.connection' is "redis:\/\/x"/],
    ['pool settings', { connection: { host: 'db' } }, /'outbox.connection' is object/],
    [
      'a bad schema',
      { connection: URL, schema: 'a-b' },
      /'outbox.schema' is "a-b"; expected a PostgreSQL schema name/,
    ],
    ['an unknown field', { connection: URL, table: 'x' }, /'outbox.table' is not known/],
  ])('rejects %s with a TaskQueueConfigError saying what it takes', (_, outbox, message) => {
    const resolve = () => resolveConfig({ outbox } as never);
    expect(resolve).toThrow(TaskQueueConfigError);
    expect(resolve).toThrow(message);
  });

  it('is refused on PostgreSQL and PGlite, which write jobs in the transaction themselves', () => {
    const resolve = () => resolveConfig({ connection: URL, outbox: { connection: URL } });
    expect(resolve).toThrow(TaskQueueConfigError);
    expect(resolve).toThrow(/only for queues on Redis, and these are on postgres.*Remove 'outbox'/);
  });
});

describe('relayed delays', () => {
  it('count from the enqueue: the time in the outbox is taken off, a delay over stays 1 ms', () => {
    expect(relayedOptions({ delay: 5000, attempts: 2 }, 1200)).toEqual({
      delay: 3800,
      attempts: 2,
    });
    expect(relayedOptions({ delay: 5000 }, 9000)).toEqual({ delay: 1 });
    expect(relayedOptions({ attempts: 2 }, 9000)).toEqual({ attempts: 2 });
    const flow = relayedFlow(
      {
        name: 'p',
        queueName: 'q',
        opts: { delay: 100 },
        children: [{ name: 'c', queueName: 'q', opts: { delay: 1000 } }],
      },
      400,
    );
    expect(flow.opts).toEqual({ delay: 1 });
    expect(flow.children?.[0].opts).toEqual({ delay: 600 });
  });
});
