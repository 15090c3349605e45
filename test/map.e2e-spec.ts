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
import { countJobs, testBackend } from './support/backend.js';
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
