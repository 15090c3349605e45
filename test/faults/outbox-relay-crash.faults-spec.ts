// Scenario 11: the process relaying the Redis outbox is SIGKILLed between the COMMIT of 1 000
// outbox rows and the end of their relay; a new one is started. On a private PostgreSQL (the
// outbox) and a private redis-server (the queues, and the tasks' records).
import { Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { TaskQueueModule, TaskQueues, type TaskQueue } from '@app/task-queue';
import { doneKey, FaultTasksModule, startsKey } from '../fixtures/faults.tasks.js';
import { inPgTransaction, type TransactionEnd } from '../support/pg-transaction.js';
import { privatePostgres, type PrivatePostgres } from './postgres-server.js';
import {
  privateRedis,
  report,
  secondsSince,
  startFaultWorker,
  waitForAsync,
  type FaultWorker,
  type PrivateRedis,
} from './support.js';

const PREFIX = 'outbox-faults';
const SCHEMA = 'outbox_faults';
const COMMITTED = 1000;
const ROLLED_BACK = 200;
/** Seconds each committed job waits: none starts in the process about to be killed. */
const DELAY = 3;

describe('scenario 11: the outbox relay killed between COMMIT and relay', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let reader: Redis;
  let pool: pg.Pool;
  let api: TestingModule;
  let queue: TaskQueue;
  const workers: FaultWorker[] = [];

  beforeAll(async () => {
    postgres = await privatePostgres();
    redis = await privateRedis();
    reader = new Redis(redis.url, { maxRetriesPerRequest: null });
    pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          connection: redis.url,
          prefix: PREFIX,
          worker: false,
          outbox: { connection: pool, schema: SCHEMA },
        }),
        FaultTasksModule,
      ],
    })
    class ProducerModule {}
    api = await Test.createTestingModule({ imports: [ProducerModule] })
      .setLogger({ log() {}, error() {}, warn() {} })
      .compile();
    await api.init();
    queue = api.get(TaskQueues).get('default');
  });

  afterAll(async () => {
    try {
      await Promise.all(workers.map((worker) => worker.kill('SIGKILL')));
      await api?.close();
      await pool?.end();
    } finally {
      reader?.disconnect();
      await redis?.destroy();
      await postgres?.destroy();
    }
  });

  const startWorker = async () => {
    const worker = await startFaultWorker({
      TASK_QUEUE_URL: redis.url,
      TASK_QUEUE_PREFIX: PREFIX,
      REDIS_URL: redis.url,
      OUTBOX_URL: postgres.url,
      OUTBOX_SCHEMA: SCHEMA,
      WORKER_CONCURRENCY: '50',
    });
    workers.push(worker);
    return worker;
  };

  /** Enqueues `count` sleep jobs in one transaction that ends with `end`; their ids. */
  async function inTransaction(count: number, end: TransactionEnd): Promise<string[]> {
    const items = Array.from({ length: count }, () => ({
      name: 'sleep',
      payload: { ms: 5 },
      options: { delay: DELAY },
    }));
    const jobs = await inPgTransaction(
      pool,
      (client) => queue.enqueueMany(items, { transaction: client }),
      end,
    );
    return jobs.map(({ id }) => id);
  }

  const outboxRows = async () =>
    Number(
      (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${SCHEMA}.outbox`)).rows[0].n,
    );
  const jobsInRedis = () => reader.zcard(`${PREFIX}:default:delayed`);

  it('every committed job runs exactly once after the restart; no rolled-back one runs', async () => {
    const relay = await startWorker();
    const rolledBack = await inTransaction(ROLLED_BACK, 'ROLLBACK');
    const committed = await inTransaction(COMMITTED, 'COMMIT');
    // The NOTIFY of the COMMIT has woken the relay: kill it as soon as its first jobs reach
    // Redis (mid-relay), or, if it has not started within 5 s, then.
    const start = Date.now();
    while ((await jobsInRedis()) === 0 && Date.now() - start < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await relay.kill('SIGKILL');
    const killedAt = Date.now();
    const [outboxAtKill, redisAtKill] = [await outboxRows(), await jobsInRedis()];
    const started = await reader.hlen(startsKey(PREFIX));
    expect(started).toBe(0);

    await startWorker();
    await waitForAsync(
      async () => (await reader.scard(doneKey(PREFIX))) >= COMMITTED,
      60_000,
      `${COMMITTED} jobs done`,
    );
    // Time for a duplicate or a rolled-back job to show up, were there one.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const starts = await reader.hgetall(startsKey(PREFIX));
    const runs = (id: string) => Number(starts[id] ?? 0);
    const figures = {
      committed: committed.length,
      rolledBack: rolledBack.length,
      outboxRowsAtKill: outboxAtKill,
      jobsInRedisAtKill: redisAtKill,
      ranOnce: committed.filter((id) => runs(id) === 1).length,
      neverRan: committed.filter((id) => runs(id) === 0).length,
      ranTwice: committed.filter((id) => runs(id) > 1).length,
      rolledBackRan: rolledBack.filter((id) => runs(id) > 0).length,
      otherRuns: Object.keys(starts).length - committed.filter((id) => runs(id) > 0).length,
      outboxRowsAfter: await outboxRows(),
      secondsAfterKill: secondsSince(killedAt),
    };
    report('11. outbox relay killed between COMMIT and relay', figures);
    expect(figures).toMatchObject({
      ranOnce: COMMITTED,
      neverRan: 0,
      ranTwice: 0,
      rolledBackRan: 0,
      otherRuns: 0,
      outboxRowsAfter: 0,
    });
  });
});
