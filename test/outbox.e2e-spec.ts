// Transactional enqueue on Redis through the outbox: jobs written in the caller's PostgreSQL
// transaction, relayed to Redis by the processes that run workers.
import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import pg from 'pg';
import {
  InvalidOptionsError,
  Task,
  TaskQueueConfigError,
  TaskQueueMigrator,
  TaskQueues,
  type TaskContext,
  type TaskQueueModuleOptions,
} from '@app/task-queue';
import { testBackend } from './support/backend.js';
import { inPgTransaction, type TransactionEnd } from './support/pg-transaction.js';
import { runSql, TEST_DATABASE_URL } from './support/postgres.js';
import { eventually } from './support/redis.js';
import { QUIET, startTaskApp } from './support/task-app.js';

/** Runs of each job id, in whichever application ran it. */
const runs = new Map<string, number>();
const ranOnce = (id: string) => (runs.get(id) === 1 ? true : undefined);

@Injectable()
class SignupTasks {
  @Task()
  async welcome(ctx: TaskContext, { userId }: { userId: number }) {
    runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
    return { welcomed: userId };
  }

  @Task()
  async digest(ctx: TaskContext) {
    runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
    return { children: await ctx.childResults() };
  }
}

@Module({ providers: [SignupTasks] })
class SignupModule {}

const schema = `tqtest_outbox_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 6 });
const backend = testBackend('outbox');

function start(options: Omit<TaskQueueModuleOptions, 'connection' | 'prefix'> = {}) {
  const outbox = { connection: TEST_DATABASE_URL, schema };
  return startTaskApp({
    backend,
    imports: [SignupModule],
    logger: QUIET,
    options: { outbox, ...options },
  });
}

/** Runs `work` in a transaction on a client of the spec's pool; COMMIT unless it says not. */
const inTransaction = <T>(
  work: (client: pg.PoolClient) => Promise<T>,
  end: TransactionEnd = 'COMMIT',
): Promise<T> => inPgTransaction(pool, work, end);

const outboxRows = async () =>
  Number(
    (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".outbox`)).rows[0].n,
  );

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Transactional enqueue on Redis, through the outbox', () => {
  let app: TestingModule;
  let queues: TaskQueues;

  beforeAll(async () => {
    app = await start();
    queues = app.get(TaskQueues);
    await pool.query(`CREATE TABLE "${schema}".users (id serial PRIMARY KEY, email text)`);
  });

  afterAll(async () => {
    await pool.end();
    await runSql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it('ROLLBACK: the job never runs, getJob is undefined and the outbox keeps nothing', async () => {
    const { id } = await inTransaction(async (client) => {
      const user = await client.query<{ id: number }>(
        `INSERT INTO "${schema}".users (email) VALUES ('a@x') RETURNING id`,
      );
      return queues
        .get('default')
        .enqueue('welcome', { userId: user.rows[0].id }, { transaction: client });
    }, 'ROLLBACK');
    // Longer than the relay's poll: a row the relay could see would have been moved by now.
    await pause(2500);
    expect(runs.get(id)).toBeUndefined();
    expect(await queues.get('default').getJob(id)).toBeUndefined();
    expect(await outboxRows()).toBe(0);
  });

  it('COMMIT: nothing before it; then the job runs exactly once, under the id enqueue gave', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { id } = await queues
        .get('default')
        .enqueue('welcome', { userId: 7 }, { transaction: client });
      await pause(1000);
      expect(runs.get(id)).toBeUndefined();
      expect(await queues.get('default').getJob(id)).toBeUndefined();
      await client.query('COMMIT');
      const done = await eventually(async () => {
        const job = await queues.get('default').getJob(id);
        return job?.status === 'complete' ? job : undefined;
      });
      expect(done.result).toEqual({ welcomed: 7 });
      await pause(2500);
      expect(runs.get(id)).toBe(1);
      expect(await outboxRows()).toBe(0);
    } finally {
      client.release();
    }
  });

  it('enqueueMany and a flow in one transaction: all of them run once after the COMMIT', async () => {
    const [many, flow] = await inTransaction(async (client) => [
      await queues.get('default').enqueueMany(
        [1, 2, 3].map((userId) => ({ name: 'welcome', payload: { userId } })),
        { transaction: client },
      ),
      await queues.get('default').enqueueFlow(
        {
          name: 'digest',
          children: [
            { name: 'welcome', payload: { userId: 10 } },
            { name: 'welcome', payload: { userId: 11 } },
          ],
        },
        { transaction: client },
      ),
    ]);
    for (const { id } of [...many, flow]) await eventually(() => ranOnce(id), 15_000, `job ${id}`);
    // A run is counted as its body ends, a moment before BullMQ stores its result.
    const root = await eventually(
      async () => {
        const job = await queues.get('default').getJob(flow.id);
        return job?.status === 'complete' ? job : undefined;
      },
      15_000,
      `flow ${flow.id} complete`,
    );
    expect(root.result).toEqual({ children: [{ welcomed: 10 }, { welcomed: 11 }] });
  });

  it('a key held by a rolled-back enqueue is free afterwards', async () => {
    const options = { key: `k-${randomUUID()}` };
    await inTransaction(
      (client) =>
        queues
          .get('default')
          .enqueue('welcome', { userId: 1 }, { ...options, transaction: client }),
      'ROLLBACK',
    );
    const { id } = await inTransaction((client) =>
      queues.get('default').enqueue('welcome', { userId: 2 }, { ...options, transaction: client }),
    );
    await eventually(() => ranOnce(id), 10_000, 'the keyed job');
  });

  it('a key held in Redis at the relay: the relayed job is a duplicate, its id never exists', async () => {
    const key = `k-${randomUUID()}`;
    const holder = await queues
      .get('default')
      .enqueue('welcome', { userId: 40 }, { key, delay: 60 });
    const { id } = await inTransaction((client) =>
      queues.get('default').enqueue('welcome', { userId: 41 }, { key, transaction: client }),
    );
    await eventually(async () => ((await outboxRows()) === 0 ? true : undefined));
    await pause(1000);
    expect(await queues.get('default').getJob(id)).toBeUndefined();
    expect(runs.get(id)).toBeUndefined();
    expect((await queues.get('default').getJob(holder.id))?.status).toBe('scheduled');
    await queues.get('default').abort(holder.id);
  });

  it('a row relayed twice (a relay that died before deleting it) is still one job', async () => {
    const id = randomUUID();
    const body = JSON.stringify({ name: 'welcome', data: { userId: 99 }, opts: { jobId: id } });
    const insert = `INSERT INTO "${schema}".outbox (id, prefix, kind, queue, body) VALUES ($1, $2, 'job', 'default', $3)`;
    await inTransaction(async (client) => {
      await client.query(insert, [id, backend.prefix, body]);
      await client.query(insert, [id, backend.prefix, body]);
    });
    await eventually(() => ranOnce(id), 10_000, 'the job');
    await pool.query(insert, [id, backend.prefix, body]);
    await eventually(async () => ((await outboxRows()) === 0 ? true : undefined));
    await pause(1000);
    expect(runs.get(id)).toBe(1);
  });

  it('a flow row relayed twice is still one flow: each job runs once', async () => {
    const client = await pool.connect();
    let body: string;
    let root: string;
    try {
      await client.query('BEGIN');
      const flow = await queues.get('default').enqueueFlow(
        {
          name: 'digest',
          children: [
            { name: 'welcome', payload: { userId: 20 } },
            { name: 'welcome', payload: { userId: 21 } },
          ],
        },
        { transaction: client },
      );
      root = flow.id;
      // The row as the relay will read it, seen from inside its own transaction.
      const { rows } = await client.query<{ body: string }>(
        `SELECT body::text AS body FROM "${schema}".outbox WHERE id = $1`,
        [root],
      );
      body = rows[0].body;
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await eventually(() => ranOnce(root), 15_000, 'the flow');
    await pool.query(
      `INSERT INTO "${schema}".outbox (id, prefix, kind, queue, body) VALUES ($1, $2, 'flow', 'default', $3)`,
      [root, backend.prefix, body],
    );
    await eventually(async () => ((await outboxRows()) === 0 ? true : undefined));
    await pause(1000);
    const { children } = JSON.parse(body) as { children: { opts: { jobId: string } }[] };
    const ids = [root, ...children.map((child) => child.opts.jobId)];
    expect(ids.map((id) => runs.get(id))).toEqual([1, 1, 1]);
    expect((await queues.get('default').getJob(root))?.result).toEqual({
      children: [{ welcomed: 20 }, { welcomed: 21 }],
    });
  });

  it('two applications relaying the same outbox: every job runs exactly once', async () => {
    const second = await start();
    const producer = second.get(TaskQueues).get('default');
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, batch) =>
        inTransaction(async (client) => {
          const items = Array.from({ length: 20 }, (_, n) => ({
            name: 'welcome',
            payload: { userId: batch * 20 + n },
          }));
          const jobs = await (batch % 2 ? producer : queues.get('default')).enqueueMany(items, {
            transaction: client,
          });
          ids.push(...jobs.map(({ id }) => id));
        }),
      ),
    );
    await eventually(
      () => (ids.every((id) => runs.has(id)) ? true : undefined),
      20_000,
      '200 jobs',
    );
    await pause(2500);
    expect(ids.filter((id) => runs.get(id) !== 1)).toEqual([]);
    expect(await outboxRows()).toBe(0);
  });

  it('a LISTEN connection cut by the server: jobs still move, and the relay listens again', async () => {
    const listeners = async () =>
      (
        await pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`,
          [`LISTEN "${schema}.outbox"`],
        )
      ).rows.map(({ pid }) => pid);
    const before = await listeners();
    expect(before.length).toBeGreaterThan(0);
    await pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);
    const { id } = await inTransaction((client) =>
      queues.get('default').enqueue('welcome', { userId: 30 }, { transaction: client }),
    );
    await eventually(() => ranOnce(id), 10_000, 'the job, moved by the poll');
    await eventually(
      async () => ((await listeners()).some((pid) => !before.includes(pid)) ? true : undefined),
      10_000,
      'a new LISTEN connection',
    );
  });

  it('a client outside BEGIN, or on another database: InvalidOptionsError, nothing written', async () => {
    const client = await pool.connect();
    try {
      await expect(
        queues.get('default').enqueue('welcome', { userId: 1 }, { transaction: client }),
      ).rejects.toThrow(InvalidOptionsError);
    } finally {
      client.release();
    }
    const other = new pg.Client({
      connectionString: TEST_DATABASE_URL.replace(/\/test$/, '/postgres'),
    });
    await other.connect();
    try {
      await other.query('BEGIN');
      const enqueue = queues
        .get('default')
        .enqueue('welcome', { userId: 1 }, { transaction: other });
      await expect(enqueue).rejects.toThrow(InvalidOptionsError);
      await expect(enqueue).rejects.toThrow(/database 'postgres'.*outbox.*'test'/s);
      await other.query('ROLLBACK');
    } finally {
      await other.end();
    }
    expect(await outboxRows()).toBe(0);
  });

  it('a client reused for a second transaction writes in that one', async () => {
    const client = await pool.connect();
    try {
      const ids: string[] = [];
      for (const end of ['ROLLBACK', 'COMMIT']) {
        await client.query('BEGIN');
        ids.push(
          (await queues.get('default').enqueue('welcome', { userId: 5 }, { transaction: client }))
            .id,
        );
        await client.query(end);
      }
      await eventually(() => ranOnce(ids[1]), 10_000, 'the committed job');
      expect(runs.get(ids[0])).toBeUndefined();
    } finally {
      client.release();
    }
  });

  it('migrate: false without the table fails the bootstrap; TaskQueueMigrator creates it', async () => {
    const fresh = `tqtest_outbox_${randomBytes(4).toString('hex')}`;
    const options = {
      outbox: { connection: TEST_DATABASE_URL, schema: fresh },
      migrate: false,
      worker: false as const,
    };
    try {
      await expect(
        startTaskApp({ backend, imports: [SignupModule], logger: QUIET, options }),
      ).rejects.toThrow(TaskQueueConfigError);
      const migrated = await app.get(TaskQueueMigrator).migrate();
      expect(migrated).toEqual({ backend: 'redis', outbox: { schema, version: 1 } });
    } finally {
      await runSql(`DROP SCHEMA IF EXISTS "${fresh}" CASCADE`);
    }
  });
});
