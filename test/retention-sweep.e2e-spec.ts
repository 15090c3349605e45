// The retention sweep on PostgreSQL against BullMQ's own trim: BullMQ reads a job's retention
// when the job finishes (the module takes it away there), the sweep keeps the jobs BullMQ's
// trim keeps, and it refuses a schema version it was not written for.
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { Job, JobsOptions, Queue, Worker } from 'bullmq';
import pg from 'pg';
import { Task, TaskQueues, type TaskContext } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { takeRetention } from '../libs/task-queue/src/backends/postgres/postgres.finish-options.js';
import {
  assertSweepable,
  sweepFinished,
  SWEPT_SCHEMA_VERSION,
} from '../libs/task-queue/src/backends/postgres/postgres.retention-sql.js';
import { describeOn, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { runSql, TEST_DATABASE_URL } from './support/postgres.js';
import { startTaskApp } from './support/task-app.js';

@Injectable()
class KeptTasks {
  @Task({ queue: 'kept', retention: { completed: { count: 2 }, failed: { count: 1 } } })
  async kept(_ctx: TaskContext, payload: { fail?: boolean }) {
    if (payload.fail) throw new Error('refused');
    return 'done';
  }
}

@Module({ providers: [KeptTasks] })
class KeptModule {}

describeOn(['postgres'], 'retention sweep on PostgreSQL', () => {
  const backend = testBackend('sweep');
  let app: TestingModule;
  let pool: pg.Pool;
  let queues: QueueBackend;

  beforeAll(async () => {
    app = await startTaskApp({
      backend,
      imports: [KeptModule],
      options: { queues: ['default', 'kept'] },
    });
    queues = app.get(QueueBackend);
    pool = new pg.Pool({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${backend.prefix}`,
    });
  });

  afterAll(() => pool.end());

  /** Runs `jobs` added to `name` by hand, each finished by `finish` after `prepare`. */
  async function runByHand(
    name: string,
    count: number,
    prepare: (job: Job) => void,
    opts: JobsOptions,
    pauseAfter?: { index: number; ms: number },
  ): Promise<string[]> {
    const queue: Queue = queues.queue(name);
    const added = await queue.addBulk(
      Array.from({ length: count }, (_, n) => ({ name: 'n', data: { n }, opts })),
    );
    const worker: Worker = queues.worker(name, async () => undefined, { autorun: false });
    try {
      for (let n = 0; n < count; n += 1) {
        const job = await worker.getNextJob('hand');
        prepare(job);
        await job.moveToCompleted('ok', 'hand', false);
        if (pauseAfter?.index === n) await sleep(pauseAfter.ms);
      }
    } finally {
      await worker.close();
    }
    return added.map((job) => job.id as string);
  }

  async function kept(name: string, ids: string[]): Promise<boolean[]> {
    const queue: Queue = queues.queue(name);
    return Promise.all(ids.map(async (id) => (await queue.getJob(id)) !== undefined));
  }

  it('BullMQ reads a job retention when the job finishes: taken away, every job stays', async () => {
    const ids = await runByHand('pin-late', 4, (job) => void takeRetention(job), {
      removeOnComplete: { count: 1 },
    });
    expect(await kept('pin-late', ids)).toEqual([true, true, true, true]);
  });

  it('keeps by count the jobs that BullMQ trim keeps', async () => {
    const opts = { removeOnComplete: { count: 2 } };
    const own = await runByHand('count-bullmq', 5, () => undefined, opts);
    const swept = await runByHand('count-swept', 5, (job) => void takeRetention(job), opts);
    const result = await sweepFinished(
      pool,
      backend.prefix,
      'count-swept',
      'completed',
      { count: 2 },
      500,
    );
    expect(result).toEqual({ held: true, removed: 3, due: 3 });
    expect(await kept('count-swept', swept)).toEqual(await kept('count-bullmq', own));
    expect(await kept('count-swept', swept)).toEqual([false, false, false, true, true]);
  });

  it('keeps by age the jobs that BullMQ trim keeps', async () => {
    const opts = { removeOnComplete: { age: 1 } };
    const pauseAfter = { index: 1, ms: 1100 };
    const own = await runByHand('age-bullmq', 3, () => undefined, opts, pauseAfter);
    const swept = await runByHand(
      'age-swept',
      3,
      (job) => void takeRetention(job),
      opts,
      pauseAfter,
    );
    await sweepFinished(pool, backend.prefix, 'age-swept', 'completed', { age: 1 }, 500);
    expect(await kept('age-swept', swept)).toEqual(await kept('age-bullmq', own));
    expect(await kept('age-swept', swept)).toEqual([false, false, true]);
  });

  it('deletes in batches, and skips while another sweeper holds the queue', async () => {
    const ids = await runByHand('batches', 7, (job) => void takeRetention(job), {
      removeOnComplete: { count: 1 },
    });
    const sweep = () =>
      sweepFinished(pool, backend.prefix, 'batches', 'completed', { count: 1 }, 4);
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `task-queue:retention:${backend.prefix}:batches`,
      ]);
      expect(await sweep()).toEqual({ held: false, removed: 0, due: 0 });
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    expect(await sweep()).toEqual({ held: true, removed: 4, due: 4 });
    expect(await sweep()).toEqual({ held: true, removed: 2, due: 2 });
    expect(await kept('batches', ids)).toEqual([false, false, false, false, false, false, true]);
  });

  it('module tasks: kept per their retention shortly after they finish, completed and failed', async () => {
    const queue = app.get(TaskQueues).get('kept');
    const ids: string[] = [];
    for (const fail of [false, false, false, true, true]) {
      const { id } = await queue.enqueue('kept', { fail });
      await eventually(async () => {
        const status = (await queue.getJob(id))?.status;
        return status === 'complete' || status === 'failed' ? status : undefined;
      });
      ids.push(id);
    }
    const read = () => Promise.all(ids.map(async (id) => (await queue.getJob(id))?.status));
    // The sweep follows the completions by a moment: poll until the dropped jobs are gone.
    const gone = (statuses: unknown[]) => statuses[0] === undefined && statuses[3] === undefined;
    await eventually(async () => (gone(await read()) ? true : undefined), 5000);
    expect(await read()).toEqual([undefined, 'complete', 'complete', undefined, 'failed']);
  });

  it(`refuses a schema at another version than ${SWEPT_SCHEMA_VERSION}, with what to do`, async () => {
    await expect(assertSweepable(pool, backend.prefix)).resolves.toBeUndefined();
    const other = `${backend.prefix}_v`;
    await runSql(
      `CREATE SCHEMA ${other}; CREATE TABLE ${other}.migration (version integer);` +
        ` INSERT INTO ${other}.migration VALUES (${SWEPT_SCHEMA_VERSION + 1})`,
    );
    const otherPool = new pg.Pool({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${other}`,
    });
    try {
      await expect(assertSweepable(otherPool, other)).rejects.toThrow(
        `BullMQ's schema '${other}' is at version ${SWEPT_SCHEMA_VERSION + 1}, and the sweep of ` +
          `finished jobs was written for version ${SWEPT_SCHEMA_VERSION}`,
      );
    } finally {
      await otherPool.end();
      await runSql(`DROP SCHEMA ${other} CASCADE`);
    }
  });
});
