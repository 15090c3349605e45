import type { EventEmitter } from 'node:events';
import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  InvalidPayloadError,
  Task,
  TaskFailedError,
  TaskQueues,
  TaskWaitTimeoutError,
  type TaskContext,
} from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { BACKEND, countJobs, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

/** Payload index that fails, in the batches below. */
const FAILING = 617;

@Injectable()
class MapTasks {
  /** Releases the jobs of `hold`, which wait for it. */
  release?: () => void;
  private readonly held = new Promise<void>((resolve) => (this.release = resolve));

  @Task()
  async square(_ctx: TaskContext, { n }: { n: number }) {
    if (n === FAILING) throw new Error(`cannot square ${n}`);
    return n * n;
  }

  @Task()
  async hold(ctx: TaskContext, { n }: { n: number }) {
    const aborted = new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
    if (n > 0) await Promise.race([this.held, aborted]);
    return n;
  }

  @Task()
  async nothing() {}
}

@Module({ providers: [MapTasks] })
class MapModule {}

const payloads = (count: number) => Array.from({ length: count }, (_, n) => ({ n }));

describe('TaskQueue.map', () => {
  const backend = testBackend('map');
  let app: TestingModule;
  let taskQueues: TaskQueues;

  beforeAll(async () => {
    app = await startTaskApp({
      backend,
      imports: [MapModule],
      options: { queues: { default: { concurrency: 50 } } },
    });
    taskQueues = app.get(TaskQueues);
  });

  afterAll(() => app.get(MapTasks).release?.());

  it('runs 1000 payloads and gives every result in payload order, a failure in its place', async () => {
    // Any listener added, whatever its name (per-job names are not in BullMQ's typed map).
    const events = (await app.get(QueueBackend).queueEvents('default')) as unknown as EventEmitter;
    const added: string[] = [];
    const onListener = (name: string | symbol) => added.push(String(name));
    events.on('newListener', onListener);
    const mapping = taskQueues
      .get('default')
      .map<number | Error>('square', payloads(1000), { returnExceptions: true, timeout: 120 });
    const results = await mapping;
    expect(results).toHaveLength(1000);
    results.forEach((result, n) => {
      if (n === FAILING) {
        expect(result).toBeInstanceOf(TaskFailedError);
        expect((result as TaskFailedError).message).toContain(`cannot square ${FAILING}`);
      } else {
        expect(result).toBe(n * n);
      }
    });
    events.off('newListener', onListener);
    // One listener per event kind for the whole batch, on the queue's shared stream; none per job.
    expect(added.sort()).toEqual(['completed', 'failed']);
  }, 180_000);

  it('rejects with the TaskFailedError of the failure without returnExceptions', async () => {
    const mapping = taskQueues.get('default').map('square', payloads(1000), { timeout: 120 });
    const error = await mapping.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).message).toContain(`cannot square ${FAILING}`);
    expect((error as TaskFailedError).reason).toBe(`cannot square ${FAILING}`);
  }, 180_000);

  it('gives null for tasks that return nothing, and [] for no payloads', async () => {
    await expect(taskQueues.get('default').map('nothing', [{}, {}])).resolves.toEqual([null, null]);
    await expect(taskQueues.get('default').map('square', [])).resolves.toEqual([]);
  });

  it('times out the jobs still unfinished with TaskWaitTimeoutError; they stay queued or running', async () => {
    const queue = taskQueues.get('default');
    const results = await queue.map('hold', [{ n: 0 }, { n: 1 }], {
      timeout: 0.5,
      returnExceptions: true,
    });
    expect(results[0]).toBe(0);
    expect(results[1]).toBeInstanceOf(TaskWaitTimeoutError);
    const { jobId } = results[1] as TaskWaitTimeoutError;
    expect((await queue.getJob(jobId))?.status).toMatch(/^(queued|active)$/);
    const late = await queue.map('hold', [{ n: 2 }], { timeout: 0.2 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(TaskWaitTimeoutError);
    app.get(MapTasks).release?.();
    // The released jobs finish here: finishing during the next test, each would trim one job
    // of the 1000 completed ones kept, and change the count that test compares.
    for (const id of [jobId, (late as TaskWaitTimeoutError).jobId]) {
      await eventually(async () => (await queue.getJob(id))?.status === 'complete' || undefined);
    }
  });

  it('checks every payload before sending any', async () => {
    // Once the jobs of the tests before have finished, the count changes only by enqueues.
    await eventually(async () => {
      const { counts } = await taskQueues.get('default').stats();
      return counts.queued + counts.active + counts.scheduled === 0 ? true : undefined;
    }, 30_000);
    const before = await countJobs(app, 'default');
    await expect(
      taskQueues.get('default').map('square', [{ n: 1 }, { n: () => 2 }]),
    ).rejects.toThrow(InvalidPayloadError);
    await expect(
      taskQueues.get('default').map('square', [{ n: 1 }], { timeout: 0 }),
    ).rejects.toThrow(/timeout/);
    expect(await countJobs(app, 'default')).toBe(before);
  });
});

/** Jobs of queue 'waits' run one at a time; `block` holds its worker until released. */
@Injectable()
class WaitTasks {
  release?: () => void;
  private readonly held = new Promise<void>((resolve) => (this.release = resolve));

  @Task({ queue: 'waits' })
  async block(ctx: TaskContext) {
    await Promise.race([
      this.held,
      new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)),
    ]);
    return 'released';
  }
}

@Module({ providers: [WaitTasks] })
class WaitModule {}

/** The hint of a wait no worker served, on this backend. */
const NO_WORKER_FIX =
  BACKEND === 'pglite'
    ? /PGlite lives in this process, so only this process can run its workers: set `worker` in forRoot/
    : BACKEND === 'redis'
      ? /Check that a process runs workers for it \(`worker` in forRoot, or runWorker\(\)\) on the same backend with the same `prefix` \('tqtest-no-worker-[^']+'\)\. This process runs none \(`worker: false`/
      : /Check that a process runs workers for it \(`worker` in forRoot, or runWorker\(\)\) on the same backend with the same `prefix` \(schema 'tqtest_no_worker_[^']+'\)\. This process runs none \(`worker: false`/;

describe(`a wait that runs out on ${BACKEND} says who serves the queue`, () => {
  let serving: TestingModule;
  let enqueueOnly: TestingModule;

  beforeAll(async () => {
    const options = { queues: { default: {}, waits: { concurrency: 1 } } };
    serving = await startTaskApp({ backend: testBackend('waits'), imports: [WaitModule], options });
    enqueueOnly = await startTaskApp({
      backend: testBackend('no-worker'),
      imports: [WaitModule],
      options: { ...options, worker: false },
    });
  });

  afterAll(() => serving.get(WaitTasks).release?.());

  it('with no worker: nothing consumes the queue, check `worker` and `prefix`', async () => {
    const queue = enqueueOnly.get(TaskQueues).get('waits');
    const error = await queue.apply('block', {}, { timeout: 0.3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    const { message, jobId, workers, status } = error as TaskWaitTimeoutError;
    expect({ workers, status }).toEqual({ workers: 0, status: 'queued' });
    expect(message).toMatch(
      new RegExp(
        `^Task 'block' \\(job ${jobId} on queue 'waits'\\) is still queued after 0\\.3 s: ` +
          `no worker serves queue 'waits', so nothing runs its jobs\\. `,
      ),
    );
    expect(message).toMatch(NO_WORKER_FIX);
    expect(message).toMatch(new RegExp(`read it later with getJob\\('${jobId}'\\)\\.$`));

    const results = await queue.map('block', [{}, {}], { timeout: 0.3, returnExceptions: true });
    for (const result of results) {
      expect(result).toBeInstanceOf(TaskWaitTimeoutError);
      expect(result).toMatchObject({ workers: 0, status: 'queued' });
      expect((result as Error).message).toMatch(/no worker serves queue 'waits'/);
    }
  });

  it('with a busy worker: how many serve the queue, and whether the job is active or queued', async () => {
    const queue = serving.get(TaskQueues).get('waits');
    // Taken by the one worker slot, which it holds until released.
    const running = await queue.apply('block', {}, { timeout: 1 }).catch((e: unknown) => e);
    expect(running).toBeInstanceOf(TaskWaitTimeoutError);
    expect(running).toMatchObject({ workers: 1, status: 'active' });
    expect((running as Error).message).toMatch(
      /^Task 'block' \(job \d+ on queue 'waits'\) is still active after 1 s: a worker is running it \(1 worker serves queue 'waits'\)\. Wait longer with apply\(\.\.\., \{ timeout \}\)/,
    );

    const results = await queue.map('block', [{}, {}], { timeout: 0.3, returnExceptions: true });
    for (const result of results) {
      expect(result).toBeInstanceOf(TaskWaitTimeoutError);
      expect(result).toMatchObject({ workers: 1, status: 'queued' });
      expect((result as Error).message).toMatch(
        /is still queued after 0\.3 s: 1 worker serves queue 'waits' and none has taken it yet \(busy with other jobs, or the queue is paused or rate-limited\)\. Wait longer with map\(\.\.\., \{ timeout \}\)/,
      );
    }

    serving.get(WaitTasks).release?.();
    const ids = [
      (running as TaskWaitTimeoutError).jobId,
      ...results.map((r) => (r as TaskWaitTimeoutError).jobId),
    ];
    for (const id of ids) {
      await eventually(async () => (await queue.getJob(id))?.status === 'complete' || undefined);
    }
  });
});
