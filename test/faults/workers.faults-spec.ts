// Scenarios 1 and 2: worker processes (built with tsc) working through jobs of 20 to 200 ms while
// one of them is SIGKILLed, or while their Redis restarts.
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { TaskQueues, type TaskQueue } from '@app/task-queue';
import { doneKey } from '../fixtures/faults.tasks.js';
import {
  enqueueApp,
  enqueueSleeps,
  privateRedis,
  report,
  secondsSince,
  startFaultWorker,
  tally,
  type FaultWorker,
  type PrivateRedis,
} from './support.js';

const PREFIX = 'faults';
const CONCURRENCY = 10;

/** A private Redis, an enqueue-only app and worker processes, torn down after the tests. */
function fleet(redisArgs: string[]) {
  const ctx = {} as {
    redis: PrivateRedis;
    reader: Redis;
    api?: TestingModule;
    queue: TaskQueue;
    workers: FaultWorker[];
    startWorker: () => Promise<FaultWorker>;
  };
  beforeAll(async () => {
    ctx.workers = [];
    ctx.redis = await privateRedis(redisArgs);
    // Waits out a restart instead of failing the test's own reads.
    ctx.reader = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
    ctx.reader.on('error', () => undefined);
    ctx.api = await enqueueApp(ctx.redis.url, PREFIX);
    ctx.queue = ctx.api.get(TaskQueues).get('default');
    const env = {
      REDIS_URL: ctx.redis.url,
      TASK_QUEUE_PREFIX: PREFIX,
      WORKER_CONCURRENCY: String(CONCURRENCY),
    };
    ctx.startWorker = async () => {
      const worker = await startFaultWorker(env);
      ctx.workers.push(worker);
      return worker;
    };
  });
  afterAll(async () => {
    await ctx.api?.close();
    await Promise.all(ctx.workers.map((worker) => worker.kill('SIGKILL')));
    ctx.reader?.disconnect();
    await ctx.redis?.destroy();
  });
  return ctx;
}

describe('scenario 1: a worker process killed mid-run', () => {
  const ctx = fleet([]);
  const JOBS = 1000;

  it('loses no job, and reruns at most the killed worker’s active ones', async () => {
    const [victim] = [await ctx.startWorker(), await ctx.startWorker()];
    const started = Date.now();
    const ids = await enqueueSleeps(ctx.queue, ctx.reader, PREFIX, JOBS, 1 / 3);

    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    await ctx.startWorker();
    // The killed worker's jobs come back once their locks expire (BullMQ's stalled check).
    const figures = await tally(ctx.queue, ctx.reader, PREFIX, ids, 150_000);
    report('1. worker crash (SIGKILL, restart)', {
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

describe('scenario 2: Redis restarted while jobs run', () => {
  const ctx = fleet(['--appendonly', 'yes', '--appendfsync', 'always']);
  const JOBS = 600;

  it('has the workers reconnect by themselves and finish every job', async () => {
    await Promise.all([ctx.startWorker(), ctx.startWorker()]);
    const started = Date.now();
    const ids = await enqueueSleeps(ctx.queue, ctx.reader, PREFIX, JOBS, 1 / 3);

    // A clean restart: SIGTERM makes Redis flush its append-only file and exit.
    const doneBeforeRestart = await ctx.reader.scard(doneKey(PREFIX));
    const downAt = Date.now();
    await ctx.redis.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await ctx.redis.start();
    const redisDownSeconds = secondsSince(downAt);

    const figures = await tally(ctx.queue, ctx.reader, PREFIX, ids, 120_000);
    const stillRunning = ctx.workers.filter((worker) => worker.child.exitCode === null).length;
    report('2. Redis restart (appendonly, appendfsync always)', {
      ...figures,
      doneBeforeRestart,
      redisDownSeconds,
      workersStillRunning: stillRunning,
      totalSeconds: secondsSince(started),
    });

    expect(figures).toMatchObject({ completed: JOBS, failed: 0, lost: 0 });
    expect(stillRunning).toBe(2);
  });
});
