// Scenario 2: the Redis (append-only file, fsync always) is restarted while jobs run.
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { TaskQueues } from '@app/task-queue';
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

const JOBS = 600;
const PREFIX = 'faults';

describe('scenario 2: Redis restarted while jobs run', () => {
  let redis: PrivateRedis;
  let reader: Redis;
  let api: TestingModule | undefined;
  const workers: FaultWorker[] = [];

  beforeAll(async () => {
    redis = await privateRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    reader = new Redis(redis.url, { maxRetriesPerRequest: null });
    reader.on('error', () => undefined);
  });

  afterAll(async () => {
    await api?.close();
    await Promise.all(workers.map((worker) => worker.kill('SIGKILL')));
    reader?.disconnect();
    await redis?.destroy();
  });

  it('has the workers reconnect by themselves and finish every job', async () => {
    const env = { REDIS_URL: redis.url, TASK_QUEUE_PREFIX: PREFIX, WORKER_CONCURRENCY: '10' };
    api = await enqueueApp(redis.url, PREFIX);
    const queue = api.get(TaskQueues).get('default');
    workers.push(await startFaultWorker(env), await startFaultWorker(env));
    const started = Date.now();
    const ids = await enqueueSleeps(queue, reader, PREFIX, JOBS, 1 / 3);

    // A clean restart: SIGTERM makes Redis flush its append-only file and exit.
    const doneBeforeRestart = await reader.scard(doneKey(PREFIX));
    const downAt = Date.now();
    await redis.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await redis.start();
    const redisDownSeconds = secondsSince(downAt);

    const figures = await tally(queue, reader, PREFIX, ids, 120_000);
    const workersStillRunning = workers.filter((worker) => worker.child.exitCode === null).length;
    report('2. Redis restart (appendonly, appendfsync always)', {
      ...figures,
      doneBeforeRestart,
      redisDownSeconds,
      workersStillRunning,
      totalSeconds: secondsSince(started),
    });

    expect(figures).toMatchObject({ completed: JOBS, failed: 0, lost: 0 });
    expect(workersStillRunning).toBe(2);
  });
});
