import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InvalidOptionsError,
  Task,
  TaskQueues,
  TaskRateLimitedError,
  type TaskContext,
} from '../index.js';
import { createTaskContext, TaskQueueTester, TaskQueueTestingModule } from './index.js';

@Injectable()
class ApiTasks {
  readonly ran: string[] = [];
  private answered429 = false;

  /** The upstream answers 429 once. */
  @Task('call_api')
  async callApi(ctx: TaskContext) {
    if (!this.answered429) {
      this.answered429 = true;
      return ctx.rateLimit(30);
    }
    return { attempt: ctx.job.attempt };
  }

  @Task({ name: 'urgent', priority: 2 })
  urgent(_ctx: TaskContext, { label }: { label: string }) {
    this.ran.push(label);
    return label;
  }

  @Task('plain')
  plain(_ctx: TaskContext, { label }: { label: string }) {
    this.ran.push(label);
    return label;
  }
}

@Module({ providers: [ApiTasks] })
class ApiModule {}

async function boot() {
  const app = await Test.createTestingModule({
    imports: [TaskQueueTestingModule.forRoot(), ApiModule],
  }).compile();
  await app.init();
  const queue = app.get(TaskQueues).get('default');
  return { app, queue, tester: app.get(TaskQueueTester), tasks: app.get(ApiTasks) };
}

describe('flow control under TaskQueueTestingModule', () => {
  it('runs a rate-limited job again in drain(), without using a retry', async () => {
    const { app, queue, tester } = await boot();
    const { id } = await queue.enqueue('call_api');
    const ran = await tester.drain();
    expect(ran.map((job) => job.status)).toEqual(['scheduled', 'complete']);
    expect(await queue.getJob(id)).toMatchObject({
      status: 'complete',
      attempts: 2,
      result: { attempt: 1 },
    });
    await app.close();
  });

  it('has apply() wait through a pause as a worker would', async () => {
    const { app, queue } = await boot();
    await expect(queue.apply('call_api')).resolves.toEqual({ attempt: 1 });
    await app.close();
  });

  it('drains unprioritized jobs first, then by priority, as BullMQ orders them', async () => {
    const { app, queue, tester, tasks } = await boot();
    await queue.enqueue('plain', { label: 'low' }, { priority: 9 });
    await queue.enqueue('urgent', { label: 'urgent' });
    await queue.enqueue('plain', { label: 'none' });
    await queue.enqueue('urgent', { label: 'top' }, { priority: 1 });
    await tester.drain();
    expect(tasks.ran).toEqual(['none', 'top', 'urgent', 'low']);
    await app.close();
  });

  it('throttles with keyTtl and debounces, keeping every enqueue on record', async () => {
    const { app, queue, tester, tasks } = await boot();
    const first = await queue.enqueue('plain', { label: 't1' }, { key: 't', keyTtl: 60 });
    await tester.drain();
    const again = await queue.enqueue('plain', { label: 't2' }, { key: 't', keyTtl: 60 });
    expect(again.id).toBe(first.id);

    const options = { key: 'd', keyTtl: 5, delay: 5, debounce: true };
    const replaced = await queue.enqueue('plain', { label: 'd1' }, options);
    const last = await queue.enqueue('plain', { label: 'd2' }, options);
    expect(last.id).not.toBe(replaced.id);
    expect(await queue.getJob(replaced.id)).toBeUndefined();
    await tester.drain();
    expect(tasks.ran).toEqual(['t1', 'd2']);
    expect(tester.enqueued().map((job) => job.payload)).toEqual([
      { label: 't1' },
      { label: 'd1' },
      { label: 'd2' },
    ]);
    await app.close();
  });
});

describe('createTaskContext().rateLimit', () => {
  it('rejects as in a worker and records the pause asked for', async () => {
    const ctx = createTaskContext({ name: 'call_api' });
    const tasks = new ApiTasks();
    await expect(tasks.callApi(ctx)).rejects.toThrow(TaskRateLimitedError);
    expect(ctx.rateLimited).toBe(30);
  });

  it.each([0, -1, Number.NaN, '30'])('refuses %p seconds', async (seconds) => {
    const ctx = createTaskContext();
    await expect(ctx.rateLimit(seconds as number)).rejects.toThrow(InvalidOptionsError);
    await expect(ctx.rateLimit(seconds as number)).rejects.toThrow(/positive number of seconds/);
    expect(ctx.rateLimited).toBeUndefined();
  });
});
