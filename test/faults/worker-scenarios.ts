// Two scenarios on any backend: worker processes (built with tsc) working through jobs of 20 to
// 200 ms while one of them is SIGKILLed, or while the store under test restarts. Each runs in
// a spec file of its own, so that Jest runs them side by side: they mostly wait.
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { TaskQueues, type TaskQueue } from '@app/task-queue';
import { doneKey } from '../fixtures/faults.tasks.js';
import type { FaultBackend, FaultServer } from './fault-servers.js';
import {
  enqueueApp,
  enqueueSleeps,
  report,
  secondsSince,
  startFaultWorker,
  tally,
  waitForAsync,
  type FaultWorker,
} from './support.js';

const QUEUE = 'default';
const CONCURRENCY = 10;

/** Where one scenario runs, and the number it has in the report. */
export interface WorkerScenario {
  backend: FaultBackend;
  /** The module's `prefix`: the Redis key prefix, or the PostgreSQL schema. */
  prefix: string;
  /** The scenario's number in docs/reliability.md. */
  number: number;
}

/** A private server, an enqueue-only app and worker processes, torn down after the tests. */
function fleet(backend: FaultBackend, prefix: string, durable: boolean) {
  const ctx = {} as {
    server: FaultServer;
    reader: Redis;
    api?: TestingModule;
    queue: TaskQueue;
    workers: FaultWorker[];
    startWorker: () => Promise<FaultWorker>;
  };
  beforeAll(async () => {
    ctx.workers = [];
    ctx.server = await backend.server(durable);
    // Reads the tasks' records; waits out a restart instead of failing the test's own reads.
    ctx.reader = new Redis(ctx.server.recorderUrl, { maxRetriesPerRequest: null });
    ctx.reader.on('error', () => undefined);
    ctx.api = await enqueueApp(ctx.server.url, prefix);
    ctx.queue = ctx.api.get(TaskQueues).get(QUEUE);
    const env = {
      TASK_QUEUE_URL: ctx.server.url,
      TASK_QUEUE_PREFIX: prefix,
      REDIS_URL: ctx.server.recorderUrl,
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
      await ctx.server?.destroy();
    }
  });
  return ctx;
}

/** The crash scenario on `backend`: a worker process SIGKILLed mid-run, a new one started. */
export function workerCrashScenario({ backend, prefix, number: crash }: WorkerScenario): void {
  const { store } = backend;
  describe(`scenario ${crash}: a worker process killed mid-run, on ${store}`, () => {
    const ctx = fleet(backend, prefix, false);
    const JOBS = 1000;

    it('loses no job, and reruns at most the killed worker’s active ones', async () => {
      const [victim] = [await ctx.startWorker(), await ctx.startWorker()];
      const started = Date.now();
      const ids = await enqueueSleeps(ctx.queue, ctx.reader, prefix, JOBS, 1 / 3);

      await victim.kill('SIGKILL');
      const killedAt = Date.now();
      await ctx.startWorker();
      // The killed worker's jobs come back once their locks expire (BullMQ's stalled check).
      const figures = await tally(ctx.queue, ctx.reader, prefix, ids, 150_000);
      report(`${crash}. worker crash on ${store} (SIGKILL, restart)`, {
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
}

/** The restart scenario on `backend`: the store stopped cleanly while jobs run, then started. */
export function storeRestartScenario({ backend, prefix, number: restart }: WorkerScenario): void {
  const { store } = backend;
  describe(`scenario ${restart}: ${store} restarted while jobs run`, () => {
    const ctx = fleet(backend, prefix, true);
    const JOBS = 600;

    it('has the workers reconnect by themselves and finish every job', async () => {
      const workers = await Promise.all([ctx.startWorker(), ctx.startWorker()]);
      const pids = workers.map((worker) => worker.child.pid!);
      const started = Date.now();
      const ids = await enqueueSleeps(ctx.queue, ctx.reader, prefix, JOBS, 1 / 3);

      const doneBeforeRestart = await ctx.reader.scard(doneKey(prefix));
      const downAt = Date.now();
      await ctx.server.stop('clean');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await ctx.server.start();
      const backAt = Date.now();
      const downSeconds = secondsSince(downAt);

      // Each worker process finishes a job again, on connections it opened itself.
      await waitForAsync(
        async () => {
          const by = await ctx.server.finishedBy(prefix, QUEUE, backAt).catch((): number[] => []);
          return pids.every((pid) => by.includes(pid));
        },
        60_000,
        `both worker processes (${pids.join(', ')}) finish jobs after the restart`,
      );
      const reconnectSeconds = secondsSince(backAt);

      const figures = await tally(ctx.queue, ctx.reader, prefix, ids, 120_000);
      const stillRunning = workers.filter((worker) => worker.child.exitCode === null).length;
      report(`${restart}. ${store} restart (${backend.restartKind})`, {
        ...figures,
        doneBeforeRestart,
        downSeconds,
        reconnectSeconds,
        workersStillRunning: stillRunning,
        totalSeconds: secondsSince(started),
      });

      expect(figures).toMatchObject({ completed: JOBS, failed: 0, lost: 0 });
      expect(stillRunning).toBe(2);
    });
  });
}
