import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Task, TaskQueues, type TaskContext } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { PAUSE_MAX } from '../libs/task-queue/src/backends/bullmq.queue-pause.js';
import { FLOW_QUEUES, FlowModule } from './fixtures/flow.tasks.js';
import { BACKEND, testBackend } from './support/backend.js';
import {
  highWaterMark,
  rateWindows,
  whenComplete,
  whenPauseLifted,
  whenRateLimited,
} from './support/flow.js';
import { tableReads } from './support/postgres.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tasks whose runs the test reads back in the order they ran. */
@Injectable()
class OrderTasks {
  readonly ran: string[] = [];

  @Task({ queue: 'ordered' })
  plain(_ctx: TaskContext, { label }: { label: string }) {
    this.ran.push(label);
  }

  /** Urgent by default: priority 3 unless the enqueue says otherwise. */
  @Task({ queue: 'ordered', priority: 3 })
  urgent(_ctx: TaskContext, { label }: { label: string }) {
    this.ran.push(label);
  }
}

@Injectable()
class KeyedTasks {
  readonly ran: string[] = [];

  @Task({ queue: 'keys' })
  keyed(_ctx: TaskContext, { label }: { label: string }) {
    this.ran.push(label);
    return label;
  }
}

@Module({ providers: [OrderTasks, KeyedTasks] })
class FlowSpecModule {}

const QUEUES = {
  ...FLOW_QUEUES,
  ordered: {},
  keys: {},
};

describe(`flow control on ${BACKEND}`, () => {
  const backend = testBackend('flow');
  let app: TestingModule;
  const queue = (name: string) => app.get(TaskQueues).get(name);

  beforeAll(async () => {
    // Works every queue but 'ordered', which a test fills before a worker starts on it.
    app = await startTaskApp({
      backend,
      imports: [FlowModule, FlowSpecModule],
      options: {
        queues: QUEUES,
        defaultQueue: 'paused',
        worker: { queues: ['limited', 'narrow', 'paused', 'keys'] },
      },
    });
  }, 60_000);

  it('runs unprioritized jobs first, then by priority (1 first), in order within one', async () => {
    const ordered = queue('ordered');
    const add = (name: string, label: string, priority?: number) =>
      ordered.enqueue(name, { label }, priority === undefined ? undefined : { priority });
    await add('plain', 'a');
    await add('plain', 'b', 5);
    await add('plain', 'c', 1);
    await add('plain', 'd');
    await add('plain', 'e', 5);
    await add('urgent', 'f');
    await add('plain', 'g', 2_097_152);
    await add('urgent', 'h', 7);
    // One worker, one job at a time, on the pre-filled queue.
    const worker = await startTaskApp({
      backend,
      imports: [FlowSpecModule],
      options: {
        queues: QUEUES,
        defaultQueue: 'paused',
        worker: { queues: ['ordered'], concurrency: 1 },
      },
    });
    const ran = await eventually(() => {
      const { ran } = worker.get(OrderTasks);
      return ran.length === 8 ? ran : undefined;
    });
    expect(ran).toEqual(['a', 'd', 'c', 'f', 'b', 'e', 'h', 'g']);
  }, 30_000);

  it('throttles with keyTtl: duplicates get the first job, finished or not, until it runs out', async () => {
    const keys = queue('keys');
    const first = await keys.enqueue('keyed', { label: 't1' }, { key: 'th', keyTtl: 30 });
    await whenComplete(app, [first]);
    const again = await keys.enqueue('keyed', { label: 't2' }, { key: 'th', keyTtl: 30 });
    expect(again.id).toBe(first.id);

    // A short throttle frees its key after it even though its job has not run yet.
    const held = await keys.enqueue(
      'keyed',
      { label: 's1' },
      { key: 'short', keyTtl: 0.3, delay: 60 },
    );
    expect((await keys.enqueue('keyed', { label: 's2' }, { key: 'short', keyTtl: 0.3 })).id).toBe(
      held.id,
    );
    await sleep(500);
    const after = await keys.enqueue('keyed', { label: 's3' }, { key: 'short', keyTtl: 0.3 });
    expect(after.id).not.toBe(held.id);
    expect((await keys.getJob(held.id))?.status).toBe('scheduled');
    await whenComplete(app, [after]);
    expect(app.get(KeyedTasks).ran).toEqual(['t1', 's3']);
    await keys.abort(held.id);
  }, 30_000);

  it('debounces: the latest payload runs once, after the delay, and replaced jobs are gone', async () => {
    const keys = queue('keys');
    const options = { key: 'db', keyTtl: 1, delay: 1, debounce: true };
    const jobs = [];
    for (const label of ['d1', 'd2', 'd3']) {
      jobs.push(await keys.enqueue('keyed', { label }, options));
    }
    expect(new Set(jobs.map((job) => job.id)).size).toBe(3);
    const [first, second, last] = jobs;
    expect(await keys.getJob(first.id)).toBeUndefined();
    expect(await keys.getJob(second.id)).toBeUndefined();
    const [done] = await whenComplete(app, [last]);
    expect(done.info.result).toBe('d3');
    expect(app.get(KeyedTasks).ran.filter((label) => label.startsWith('d'))).toEqual(['d3']);
  }, 30_000);

  it('pauses the queue on ctx.rateLimit() and runs the job again later without using a retry', async () => {
    const paused = queue('paused');
    const limited = await paused.enqueue('call_api', { pause: 3 });
    const limitedAt = await whenRateLimited(paused, limited.id);
    // The queue has no rateLimit, so its workers run without a limiter: the pause reaches them
    // through a queue-wide one, lifted once the pause is over.
    const bullQueue = app.get(QueueBackend).queue('paused');
    expect(await bullQueue.getGlobalRateLimit()).toMatchObject({ max: PAUSE_MAX });
    const other = await paused.enqueue('stamp', { ms: 0 });
    const started = await whenComplete(app, [limited, other]);
    for (const job of started) expect(job.startedAt).toBeGreaterThanOrEqual(limitedAt + 3000);
    expect(started[0].info).toMatchObject({ attempts: 2, result: { attempt: 1 } });
    await whenPauseLifted(bullQueue, 5000);
  }, 30_000);

  it("leaves a queue-wide limit set with BullMQ's setGlobalRateLimit as it is after a pause", async () => {
    const paused = queue('paused');
    const bullQueue = app.get(QueueBackend).queue('paused');
    await bullQueue.setGlobalRateLimit(1000, 60_000);
    try {
      const limited = await paused.enqueue('call_api', { pause: 0.5 });
      const limitedAt = await whenRateLimited(paused, limited.id);
      const [rerun] = await whenComplete(app, [limited]);
      expect(rerun.startedAt).toBeGreaterThanOrEqual(limitedAt + 500);
      expect(await bullQueue.getGlobalRateLimit()).toEqual({ max: 1000, duration: 60_000 });
    } finally {
      await bullQueue.removeGlobalRateLimit();
    }
  }, 30_000);

  it('starts no more than 10 jobs in any second with a limit of 10 per second', async () => {
    const ticks = await queue('limited').enqueueMany(
      Array.from({ length: 15 }, () => ({ name: 'tick' })),
    );
    const started = await whenComplete(app, ticks, 20_000);
    const { most, spanMs } = rateWindows(
      started.map((job) => job.startedAt),
      1000,
    );
    expect(most).toBeLessThanOrEqual(10);
    // Two windows: the second starts a second after the first.
    expect(spanMs).toBeGreaterThanOrEqual(1000);
  }, 30_000);

  // On PGlite, which lives in one process, the limit caps the worker's concurrency instead.
  it('never runs more than 2 jobs at once with a global concurrency of 2', async () => {
    const holds = await queue('narrow').enqueueMany(
      Array.from({ length: 8 }, () => ({ name: 'hold', payload: { ms: 100 } })),
    );
    const held = await whenComplete(app, holds, 20_000);
    const runs = held.map(({ info }) => info.result as { start: number; end: number });
    expect(highWaterMark(runs)).toBe(2);
  }, 30_000);

  if (BACKEND === 'postgres') {
    it('waits between claims while the queue is at its global concurrency, not query after query', async () => {
      const holds = await queue('narrow').enqueueMany(
        Array.from({ length: 4 }, () => ({ name: 'hold', payload: { ms: 3000 } })),
      );
      // Two run for 3 s, two wait: the worker finds the queue at its limit all that time.
      await sleep(500);
      const before = await tableReads(backend.prefix, 'meta');
      await sleep(2000);
      const reads = (await tableReads(backend.prefix, 'meta')) - before;
      // Every claim reads the queue's settings (pause, limits): a claim every 100 ms is a few
      // dozen reads a second; claiming again at once, thousands.
      process.stdout.write(`at the global limit on postgres: ${reads} reads of meta in 2 s\n`);
      expect(reads).toBeLessThan(500);
      const held = await whenComplete(app, holds, 20_000);
      const runs = held.map(({ info }) => info.result as { start: number; end: number });
      expect(highWaterMark(runs)).toBe(2);
    }, 30_000);
  }
});
