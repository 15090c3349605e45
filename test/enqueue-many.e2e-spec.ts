import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { z } from 'zod';
import {
  InvalidOptionsError,
  InvalidPayloadError,
  Task,
  TaskQueues,
  UnknownTaskError,
  type TaskContext,
} from '@app/task-queue';
import { eventually } from './support/redis.js';
import { countJobs, testBackend } from './support/backend.js';
import { startTaskApp } from './support/task-app.js';

@Injectable()
class BulkTasks {
  @Task()
  async record(ctx: TaskContext, payload: object) {
    return { payload, attempt: ctx.job.attempt };
  }

  @Task({ schema: z.object({ greeting: z.string().default('Hello'), to: z.string() }) })
  async greet(_ctx: TaskContext, payload: { greeting: string; to: string }) {
    return `${payload.greeting}, ${payload.to}`;
  }
}

@Module({ providers: [BulkTasks] })
class BulkModule {}

describe('TaskQueue.enqueueMany', () => {
  const backend = testBackend('bulk');
  let app: TestingModule;
  let taskQueues: TaskQueues;

  beforeAll(async () => {
    app = await startTaskApp({ backend, imports: [BulkModule] });
    taskQueues = app.get(TaskQueues);
  });

  async function resultOf(id: string): Promise<unknown> {
    const info = await eventually(async () => {
      const read = await taskQueues.get('default').getJob(id);
      return read?.status === 'complete' ? read : undefined;
    });
    return info.result;
  }

  it('enqueues every item in one call and returns the ids in order; each job runs', async () => {
    const jobs = await taskQueues
      .get('default')
      .enqueueMany([
        { name: 'record', payload: { n: 1 } },
        { name: 'greet', payload: { to: 'Ada' } },
        { name: 'record' },
      ]);
    expect(jobs.map(({ name, queue }) => [name, queue])).toEqual([
      ['record', 'default'],
      ['greet', 'default'],
      ['record', 'default'],
    ]);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(3);
    for (const job of jobs) expect(job.id).toMatch(/^\d+$/);
    expect(await resultOf(jobs[0].id)).toEqual({ payload: { n: 1 }, attempt: 1 });
    expect(await resultOf(jobs[1].id)).toBe('Hello, Ada');
    expect(await resultOf(jobs[2].id)).toEqual({ payload: {}, attempt: 1 });
  });

  it('applies per-item options and deduplicates by key like enqueue', async () => {
    const queue = taskQueues.get('default');
    const [delayed, first, second] = await queue.enqueueMany([
      { name: 'record', payload: { n: 2 }, options: { delay: 60 } },
      { name: 'record', payload: { n: 3 }, options: { key: 'bulk-key', delay: 60 } },
      { name: 'record', payload: { n: 4 }, options: { key: 'bulk-key', delay: 60 } },
    ]);
    expect((await queue.getJob(delayed.id))?.status).toBe('scheduled');
    expect(second.id).toBe(first.id);
    expect(await queue.abort(delayed.id)).toBe(true);
    expect(await queue.abort(first.id)).toBe(true);
  });

  it('checks every item as enqueue does and enqueues none of them when one is invalid', async () => {
    const queue = taskQueues.get('default');
    const before = await countJobs(app, 'default');
    const valid = { name: 'record', payload: { n: 5 } };
    await expect(queue.enqueueMany([valid, { name: 'nope' }])).rejects.toThrow(UnknownTaskError);
    await expect(
      queue.enqueueMany([valid, { name: 'record', payload: { user: { onDone: () => 1 } } }]),
    ).rejects.toThrow(/payload\.user\.onDone/);
    await expect(
      queue.enqueueMany([valid, { name: 'greet', payload: { to: 42 } }]),
    ).rejects.toThrow(InvalidPayloadError);
    await expect(
      queue.enqueueMany([valid, { name: 'record', options: { retries: -1 } }]),
    ).rejects.toThrow(InvalidOptionsError);
    expect(await countJobs(app, 'default')).toBe(before);
  });

  it('returns an empty list for no items', async () => {
    await expect(taskQueues.get('default').enqueueMany([])).resolves.toEqual([]);
  });
});
