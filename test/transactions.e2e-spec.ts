import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import {
  InvalidOptionsError,
  Task,
  TaskQueues,
  type TaskContext,
  type TaskQueue,
  type TaskTransaction,
} from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { countJobs, describeOn, testBackend } from './support/backend.js';
import { newPGlite } from './support/pglite.js';
import { TEST_DATABASE_URL } from './support/postgres.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';
import { transactionsOf, type Transactions } from './support/transaction.js';

/** Runs of `record`, by tag, in the order they started. */
const runs: string[] = [];
const runsOf = (tag: string) => runs.filter((run) => run === tag).length;

@Injectable()
class TxTasks {
  @Task()
  async record(_ctx: TaskContext, { tag }: { tag: string }) {
    runs.push(tag);
    return tag;
  }

  @Task()
  async total(ctx: TaskContext) {
    const results = await ctx.childResults<string>();
    runs.push(`total:${results.join('+')}`);
    return results.join('+');
  }
}

@Module({ providers: [TxTasks] })
class TxModule {}

describe('Transactional enqueue', () => {
  const backend = testBackend('tx');
  let app: TestingModule;
  let queue: TaskQueue;
  let tx: Transactions;

  beforeAll(async () => {
    app = await startTaskApp({ backend, imports: [TxModule] });
    queue = app.get(TaskQueues).get('default');
    tx = transactionsOf(backend);
  });

  afterAll(() => tx?.close());

  /** Waits until a plain job enqueued now has run: every job enqueued before it has too. */
  async function drained(): Promise<void> {
    const tag = `marker-${Math.random()}`;
    await queue.enqueue('record', { tag });
    await eventually(() => (runsOf(tag) === 1 ? true : undefined), 15_000, `${tag} to run`);
  }

  describeOn(['postgres', 'pglite'], 'on the queues database', () => {
    it('ROLLBACK: the job never runs and getJob reads undefined', async () => {
      const job = await tx.run('rollback', (t) =>
        queue.enqueue('record', { tag: 'rolled-back' }, { transaction: t }),
      );
      // Read before anything else is enqueued: the id counter rolled back too, and the next
      // job may take the same id.
      expect(await queue.getJob(job.id)).toBeUndefined();
      await drained();
      expect(runsOf('rolled-back')).toBe(0);
    });

    it('COMMIT: nothing runs while the transaction is open, then the job runs once', async () => {
      const job = await tx.run('commit', async (t) => {
        const added = await queue.enqueue('record', { tag: 'held' }, { transaction: t });
        // Open for over a second: workers poll meanwhile and must not see the job.
        await sleep(1200);
        expect(runsOf('held')).toBe(0);
        return added;
      });
      await eventually(() => (runsOf('held') === 1 ? true : undefined), 15_000, 'held to run');
      await drained();
      expect(runsOf('held')).toBe(1);
      expect((await queue.getJob(job.id))?.status).toBe('complete');
    });

    it('frees a deduplication key taken in a rolled-back transaction', async () => {
      await tx.run('rollback', (t) =>
        queue.enqueue('record', { tag: 'key-rolled' }, { key: 'tx-key', transaction: t }),
      );
      const after = await queue.enqueue('record', { tag: 'key-after' }, { key: 'tx-key' });
      // The key was free: this job is a new one, and it runs with its own payload.
      await eventually(async () =>
        (await queue.getJob(after.id))?.status === 'complete' ? true : undefined,
      );
      expect(runsOf('key-after')).toBe(1);
      expect(runsOf('key-rolled')).toBe(0);
    });

    it('deduplicates by key inside one transaction as without one', async () => {
      const [first, second] = await tx.run('commit', async (t) => [
        await queue.enqueue('record', { tag: 'dedup-1' }, { key: 'tx-dedup', transaction: t }),
        await queue.enqueue('record', { tag: 'dedup-2' }, { key: 'tx-dedup', transaction: t }),
      ]);
      expect(second.id).toBe(first.id);
      await eventually(() => (runsOf('dedup-1') === 1 ? true : undefined));
      await drained();
      expect(runsOf('dedup-2')).toBe(0);
    });

    it('enqueueMany and a flow in one transaction: all of it on COMMIT, none on ROLLBACK', async () => {
      const write = (outcome: 'commit' | 'rollback', at: string) =>
        tx.run(outcome, async (t) => {
          const many = await queue.enqueueMany(
            [
              { name: 'record', payload: { tag: `${at}-many-1` } },
              { name: 'record', payload: { tag: `${at}-many-2` }, options: { priority: 3 } },
            ],
            { transaction: t },
          );
          const flow = await queue.enqueueFlow(
            {
              name: 'total',
              children: [
                { name: 'record', payload: { tag: `${at}-a` } },
                { name: 'record', payload: { tag: `${at}-b` } },
              ],
            },
            { transaction: t },
          );
          return [...many, flow];
        });
      const rolledBack = await write('rollback', 'rb');
      const committed = await write('commit', 'ok');
      await eventually(() => (runsOf('total:ok-a+ok-b') === 1 ? true : undefined), 15_000);
      expect(runsOf('ok-many-1') + runsOf('ok-many-2')).toBe(2);
      await drained();
      expect(runs.filter((run) => run.includes('rb-'))).toEqual([]);
      // Flow ids are random; the batch's ids went back to the counter with the rollback.
      expect(await queue.getJob(rolledBack[2].id)).toBeUndefined();
      for (const job of committed) expect((await queue.getJob(job.id))?.status).toBe('complete');
    });

    it('keeps delays and priorities', async () => {
      const job = await tx.run('commit', (t) =>
        queue.enqueue('record', { tag: 'later' }, { delay: 60, priority: 7, transaction: t }),
      );
      expect((await queue.getJob(job.id))?.status).toBe('scheduled');
      const stored = await app.get(QueueBackend).queue('default').getJob(job.id);
      expect(stored?.opts.priority).toBe(7);
      expect(stored?.opts.delay).toBe(60_000);
      expect(await queue.abort(job.id)).toBe(true);
    });
  });

  describeOn(
    ['postgres', 'pglite'],
    'bad input: a clear InvalidOptionsError, nothing written',
    () => {
      async function rejects(
        enqueue: () => Promise<unknown>,
        message: RegExp,
      ): Promise<InvalidOptionsError> {
        const before = await countJobs(app, 'default');
        const error = await enqueue().then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error).toBeInstanceOf(InvalidOptionsError);
        expect((error as Error).message).toMatch(message);
        expect(await countJobs(app, 'default')).toBe(before);
        return error as InvalidOptionsError;
      }

      it('a transaction without query()', async () => {
        const bad = { execute: async () => ({ rows: [] }) } as unknown as TaskTransaction;
        await rejects(
          () => queue.enqueue('record', { tag: 'x' }, { transaction: bad }),
          /'transaction' is an object without a query\(text, values\) method.*node-postgres client after BEGIN/,
        );
      });

      it('a transaction that has committed', async () => {
        const ended = await tx.ended();
        await rejects(
          () => queue.enqueue('record', { tag: 'ended' }, { transaction: ended }),
          /not an open transaction \((it has ended|it is not inside BEGIN, or has already committed or rolled back)\).*Pass it before its COMMIT or ROLLBACK/,
        );
      });

      it('apply and map with a transaction', async () => {
        const before = await countJobs(app, 'default');
        // Inside the transaction nothing else is awaited on the queues' database (on PGlite it
        // would wait for the transaction): the jobs are counted after it.
        const errors = await tx.run('rollback', async (t) => {
          const options = { transaction: t } as object;
          const item = { name: 'record', payload: { tag: 'x' }, options };
          return Promise.all(
            [
              () => queue.apply('record', { tag: 'x' }, options),
              () => queue.map('record', [{ tag: 'x' }], options),
              () => queue.enqueueMany([item]),
            ].map((call) =>
              call().then(
                () => undefined,
                (thrown: unknown) => thrown,
              ),
            ),
          );
        });
        for (const error of errors) expect(error).toBeInstanceOf(InvalidOptionsError);
        const [apply, map, many] = errors.map((error) => (error as Error).message);
        expect(apply).toMatch(
          /apply\(\) does not take a 'transaction': it waits for the outcome, and the job cannot start before the transaction commits/,
        );
        expect(map).toMatch(/map\(\) does not take a 'transaction'/);
        expect(many).toMatch(/pass it once, for all the jobs, in enqueueMany's own options/);
        expect(await countJobs(app, 'default')).toBe(before);
      });
    },
  );

  describeOn(['postgres'], 'bad input on PostgreSQL', () => {
    it('a client outside BEGIN', async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        const before = await countJobs(app, 'default');
        await expect(
          queue.enqueue('record', { tag: 'autocommit' }, { transaction: client }),
        ).rejects.toThrow(/it is not inside BEGIN, or has already committed or rolled back/);
        expect(await countJobs(app, 'default')).toBe(before);
      } finally {
        await client.end();
      }
    });

    it('a transaction a failed statement aborted', async () => {
      await tx.run('rollback', async (t) => {
        await t.query('SELECT 1/0').catch(() => undefined);
        await expect(
          queue.enqueue('record', { tag: 'aborted' }, { transaction: t }),
        ).rejects.toThrow(/a statement in it failed, so it can only roll back/);
      });
    });

    it('a transaction on another database', async () => {
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = '/postgres';
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        await client.query('BEGIN');
        const error = await queue
          .enqueue('record', { tag: 'elsewhere' }, { transaction: client })
          .catch((thrown: unknown) => thrown);
        expect(error).toBeInstanceOf(InvalidOptionsError);
        expect((error as Error).message).toMatch(
          new RegExp(
            `runs on database 'postgres', but the queues are on database 'test' \\(schema '${backend.prefix}'\\)`,
          ),
        );
      } finally {
        await client.end();
      }
    });
  });

  describeOn(['pglite'], 'bad input on PGlite', () => {
    it('a transaction of another PGlite instance', async () => {
      const other = newPGlite();
      try {
        const error = await other
          .transaction((t) => queue.enqueue('record', { tag: 'other' }, { transaction: t }))
          .catch((thrown: unknown) => thrown);
        expect(error).toBeInstanceOf(InvalidOptionsError);
        expect((error as Error).message).toMatch(
          /runs on another PGlite instance, but the queues are on the PGlite instance given to TaskQueueModule.forRoot/,
        );
      } finally {
        await other.close();
      }
    });

    it('the PGlite instance itself', async () => {
      const db = (backend.connection as { pglite: PGlite }).pglite;
      await expect(queue.enqueue('record', { tag: 'db' }, { transaction: db })).rejects.toThrow(
        /is the PGlite instance itself, not a transaction.*Pass the `tx` of/,
      );
    });
  });

  describeOn(['redis'], 'on Redis without an outbox', () => {
    it('rejects, saying how to configure one', async () => {
      const t = { query: async () => ({ rows: [] }) };
      await expect(queue.enqueue('record', { tag: 'r' }, { transaction: t })).rejects.toThrow(
        /on Redis, which cannot join a database transaction.*forRoot\(\{ outbox: \{ connection/,
      );
      expect(await countJobs(app, 'default')).toBe(0);
    });
  });
});
