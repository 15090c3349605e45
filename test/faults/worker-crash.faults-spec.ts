// Scenario 1: a worker process is SIGKILLed in the middle of 1,000 jobs, then restarted.
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { TaskQueues } from '@app/task-queue';
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

const JOBS = 1000;
const CONCURRENCY = 10;
const PREFIX = 'faults';

describe('scenario 1: a worker process killed mid-run', () => {
  let redis: PrivateRedis;
  let reader: Redis;
  let api: TestingModule | undefined;
  const workers: FaultWorker[] = [];

  beforeAll(async () => {
    redis = await privateRedis();
    reader = new Redis(redis.url);
  });

  afterAll(async () => {
    await api?.close();
    await Promise.all(workers.map((worker) => worker.kill('SIGKILL')));
    reader?.disconnect();
    await redis?.destroy();
  });

  it('loses no job, and reruns at most the killed worker’s active ones', async () => {
    const env = {
      REDIS_URL: redis.url,
      TASK_QUEUE_PREFIX: PREFIX,
      WORKER_CONCURRENCY: String(CONCURRENCY),
    };
    api = await enqueueApp(redis.url, PREFIX);
    const queue = api.get(TaskQueues).get('default');
    workers.push(await startFaultWorker(env), await startFaultWorker(env));
    const started = Date.now();
    const ids = await enqueueSleeps(queue, reader, PREFIX, JOBS, 1 / 3);

    await workers[0].kill('SIGKILL');
    const killedAt = Date.now();
    workers.push(await startFaultWorker(env));
    // The killed worker's jobs come back once their locks expire (BullMQ's stalled check).
    const figures = await tally(queue, reader, PREFIX, ids, 150_000);
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
