// Scenarios 8 and 9: scenarios 1 and 2 on PostgreSQL. Worker processes (built with tsc) work
// through jobs of 20 to 200 ms on a private PostgreSQL server while one of them is SIGKILLed, or
// while the server restarts. The tasks record their runs in a private Redis, apart from the
// store under test, so the records survive the PostgreSQL restart untouched.
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { TaskQueues, type TaskQueue } from '@app/task-queue';
import { doneKey } from '../fixtures/faults.tasks.js';
import { privatePostgres, type PrivatePostgres } from './postgres-server.js';
import {
  enqueueApp,
  enqueueSleeps,
  privateRedis,
  report,
  secondsSince,
  startFaultWorker,
  tally,
  waitForAsync,
  type FaultWorker,
  type PrivateRedis,
} from './support.js';

/** The PostgreSQL schema of the queues (the module's `prefix`), and the records' key prefix. */
const SCHEMA = 'faults_pg';
const CONCURRENCY = 10;

/** A private PostgreSQL, a Redis for the records, an enqueue-only app and worker processes. */
function fleet() {
  const ctx = {} as {
    postgres: PrivatePostgres;
    recorder: PrivateRedis;
    reader: Redis;
    api?: TestingModule;
    queue: TaskQueue;
    workers: FaultWorker[];
    startWorker: () => Promise<FaultWorker>;
  };
  beforeAll(async () => {
    ctx.workers = [];
    ctx.postgres = await privatePostgres();
    ctx.recorder = await privateRedis();
    ctx.reader = new Redis(ctx.recorder.url, { maxRetriesPerRequest: null });
    ctx.reader.on('error', () => undefined);
    ctx.api = await enqueueApp(ctx.postgres.url, SCHEMA);
    ctx.queue = ctx.api.get(TaskQueues).get('default');
    const env = {
      TASK_QUEUE_URL: ctx.postgres.url,
      TASK_QUEUE_PREFIX: SCHEMA,
      REDIS_URL: ctx.recorder.url,
      WORKER_CONCURRENCY: String(CONCURRENCY),
    };
    ctx.startWorker = async () => {
      const worker = await startFaultWorker(env);
      ctx.workers.push(worker);
      return worker;
    };
  });
  afterAll(async () => {
    try {
      await Promise.all((ctx.workers ?? []).map((worker) => worker.kill('SIGKILL')));
      await ctx.api?.close();
    } finally {
      ctx.reader?.disconnect();
      await ctx.recorder?.destroy();
      // The whole cluster goes, schema and all.
      await ctx.postgres?.destroy();
    }
  });
  return ctx;
}

/** Runs one query on the private server, on a connection of its own. */
async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('scenario 8: a worker process killed mid-run, on PostgreSQL', () => {
  const ctx = fleet();
  const JOBS = 1000;

  it('loses no job, and reruns at most the killed worker’s active ones', async () => {
    const [victim] = [await ctx.startWorker(), await ctx.startWorker()];
    const started = Date.now();
    const ids = await enqueueSleeps(ctx.queue, ctx.reader, SCHEMA, JOBS, 1 / 3);

    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    await ctx.startWorker();
    // The killed worker's jobs come back once their locks expire (BullMQ's stalled check).
    const figures = await tally(ctx.queue, ctx.reader, SCHEMA, ids, 150_000);
    report('8. worker crash on PostgreSQL (SIGKILL, restart)', {
      ...figures,
      killedWorkerConcurrency: CONCURRENCY,
      recoveredAfterKillSeconds: secondsSince(killedAt),
      totalSeconds: secondsSince(started),
    });

    expect(figures).toMatchObject({ completed: JOBS, failed: 0, lost: 0 });
    expect(figures.runTwice).toBeLessThanOrEqual(CONCURRENCY);
    expect(figures.mostRuns).toBeLessThanOrEqual(2);
  });
});

describe('scenario 9: PostgreSQL restarted while jobs run', () => {
  const ctx = fleet();
  const JOBS = 600;

  it('has the workers reconnect by themselves and finish every job', async () => {
    const workers = await Promise.all([ctx.startWorker(), ctx.startWorker()]);
    const pids = workers.map((worker) => worker.child.pid!);
    const started = Date.now();
    const ids = await enqueueSleeps(ctx.queue, ctx.reader, SCHEMA, JOBS, 1 / 3);

    // Fast shutdown: every session is cut, a checkpoint written; then the same port and folder.
    const doneBeforeRestart = await ctx.reader.scard(doneKey(SCHEMA));
    const downAt = Date.now();
    await ctx.postgres.stop('fast');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await ctx.postgres.start();
    const backAt = Date.now();
    const postgresDownSeconds = secondsSince(downAt);

    // Each worker process finishes a job again, on connections it opened itself.
    const finishedBy = async () => {
      const rows = await query<{ pid: string }>(
        ctx.postgres.url,
        `SELECT DISTINCT return_value->>'pid' AS pid FROM "${SCHEMA}".job
          WHERE queue = 'default' AND state = 'completed' AND finished_at_ms >= $1`,
        [backAt],
      );
      return rows.map((row) => Number(row.pid));
    };
    await waitForAsync(
      async () => {
        const by = await finishedBy().catch((): number[] => []);
        return pids.every((pid) => by.includes(pid));
      },
      60_000,
      `both worker processes (${pids.join(', ')}) finish jobs after the restart`,
    );
    const reconnectSeconds = secondsSince(backAt);

    const figures = await tally(ctx.queue, ctx.reader, SCHEMA, ids, 120_000);
    const stillRunning = workers.filter((worker) => worker.child.exitCode === null).length;
    report('9. PostgreSQL restart (fast shutdown)', {
      ...figures,
      doneBeforeRestart,
      postgresDownSeconds,
      reconnectSeconds,
      workersStillRunning: stillRunning,
      totalSeconds: secondsSince(started),
    });

    expect(figures).toMatchObject({ completed: JOBS, failed: 0, lost: 0 });
    expect(stillRunning).toBe(2);
  });
});
