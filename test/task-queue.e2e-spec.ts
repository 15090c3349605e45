import { randomUUID } from 'node:crypto';
import { Injectable, Module, Scope } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  InvalidOptionsError,
  InvalidPayloadError,
  Task,
  TaskFailedError,
  TaskQueueHealth,
  TaskQueueMetrics,
  TaskQueues,
  TaskWaitTimeoutError,
  UnknownQueueError,
  UnknownTaskError,
  type TaskContext,
} from '@app/task-queue';
import { eventually } from './support/redis.js';
import { BACKEND, countJobs, testBackend } from './support/backend.js';
import { startTaskApp } from './support/task-app.js';

@Injectable()
class Greeter {
  greet(name: string) {
    return `Hello, ${name}`;
  }
}

@Injectable()
class UsersTasks {
  readonly instanceId = randomUUID();
  constructor(private readonly greeter: Greeter) {}

  @Task()
  async welcome(_ctx: TaskContext, payload: { name: string }) {
    return { message: this.greeter.greet(payload.name), instanceId: this.instanceId };
  }

  @Task('charge_card')
  async charge(_ctx: TaskContext, payload: { cents: number }) {
    throw new Error(`card declined for ${payload.cents} cents`);
  }

  @Task()
  async signup(ctx: TaskContext, payload: { name: string }) {
    const followUp = await ctx.queue.enqueue('welcome', { name: payload.name });
    return { followUpId: followUp.id, queue: ctx.job.queue };
  }

  @Task({ retries: 2 })
  async flaky(ctx: TaskContext) {
    if (ctx.job.attempt < 3) throw new Error(`attempt ${ctx.job.attempt} failed`);
    return { attempt: ctx.job.attempt };
  }

  @Task()
  async sleep(_ctx: TaskContext, payload: { ms: number }) {
    await new Promise((resolve) => setTimeout(resolve, payload.ms));
    return 'slept';
  }

  @Task()
  async nothing() {
    return undefined;
  }
}

@Module({ providers: [Greeter, UsersTasks] })
class UsersModule {}

/** The same task name on two queues, and a queue with concurrency 5. */
@Injectable()
class MailTasks {
  running = 0;
  maxRunning = 0;
  readonly runs = new Map<number, number>();

  @Task('where')
  async whereDefault(ctx: TaskContext) {
    return ctx.job.queue;
  }

  @Task({ name: 'where', queue: 'emails' })
  async whereEmails(ctx: TaskContext) {
    return ctx.job.queue;
  }

  @Task({ queue: 'emails' })
  async slowSend() {
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise((resolve) => setTimeout(resolve, 300));
    this.running -= 1;
  }

  @Task()
  async count(_ctx: TaskContext, payload: { n: number }) {
    this.runs.set(payload.n, (this.runs.get(payload.n) ?? 0) + 1);
    return payload.n;
  }
}

@Module({ providers: [MailTasks] })
class MailModule {}

let instancesMade = 0;

@Injectable({ scope: Scope.REQUEST })
class PerJobTasks {
  readonly serial = ++instancesMade;

  @Task()
  async whoAmI() {
    return this.serial;
  }
}

@Module({ providers: [PerJobTasks] })
class PerJobModule {}

describe(`TaskQueueModule on ${BACKEND}`, () => {
  const backend = testBackend('core');
  let app: TestingModule;
  let taskQueues: TaskQueues;

  beforeAll(async () => {
    app = await startTaskApp({
      backend,
      imports: [UsersModule, MailModule, PerJobModule],
      options: { queues: { default: { concurrency: 10 }, emails: { concurrency: 5 } } },
    });
    taskQueues = app.get(TaskQueues);
  });

  it('finds a feature module task without registration and runs it on its DI instance', async () => {
    const result = await taskQueues.get('default').apply('welcome', { name: 'Ada' });
    expect(result).toEqual({
      message: 'Hello, Ada',
      instanceId: app.get(UsersTasks).instanceId,
    });
  });

  it('returns a string id and reads back a complete job with its result', async () => {
    const queue = taskQueues.get('default');
    const job = await queue.enqueue('welcome', { name: 'Grace' });
    expect(typeof job.id).toBe('string');
    const info = await eventually(async () => {
      const read = await queue.getJob(job.id);
      return read?.status === 'complete' ? read : undefined;
    });
    expect(info).toMatchObject({
      id: job.id,
      name: 'welcome',
      queue: 'default',
      status: 'complete',
      result: { message: 'Hello, Grace' },
      error: null,
      attempts: 1,
    });
  });

  it('reads back a failed job with the error text, and apply rejects with TaskFailedError', async () => {
    const queue = taskQueues.get('default');
    const job = await queue.enqueue('charge_card', { cents: 500 });
    const info = await eventually(async () => {
      const read = await queue.getJob(job.id);
      return read?.status === 'failed' ? read : undefined;
    });
    expect(info.error).toBe('card declined for 500 cents');
    expect(info.result).toBeNull();

    const failure = await queue.apply('charge_card', { cents: 7 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TaskFailedError);
    expect((failure as TaskFailedError).message).toContain('card declined for 7 cents');
    expect((failure as TaskFailedError).jobId).toMatch(/^\d+$/);
    expect((failure as TaskFailedError).name).toBe('TaskFailedError');
  });

  it('waits across retries: apply resolves the attempt that succeeded', async () => {
    const queue = taskQueues.get('default');
    await expect(queue.apply('flaky')).resolves.toEqual({ attempt: 3 });
  });

  it('reads a job that completed after failed attempts: no error, the failures in failedAttempts', async () => {
    const queue = taskQueues.get('default');
    const job = await queue.enqueue('flaky');
    const info = await eventually(async () => {
      const read = await queue.getJob(job.id);
      return read?.status === 'complete' ? read : undefined;
    });
    expect(info).toMatchObject({ result: { attempt: 3 }, error: null, attempts: 3 });
    expect(info.failedAttempts).toEqual([
      { attempt: 1, error: 'attempt 1 failed' },
      { attempt: 2, error: 'attempt 2 failed' },
    ]);
  });

  it('lists the failure of a job that failed for good among its failed attempts', async () => {
    const queue = taskQueues.get('default');
    const job = await queue.enqueue('charge_card', { cents: 900 }, { retries: 1 });
    const info = await eventually(async () => {
      const read = await queue.getJob(job.id);
      return read?.status === 'failed' ? read : undefined;
    });
    expect(info).toMatchObject({ error: 'card declined for 900 cents', attempts: 2 });
    expect(info.failedAttempts).toEqual([
      { attempt: 1, error: 'card declined for 900 cents' },
      { attempt: 2, error: 'card declined for 900 cents' },
    ]);
  });

  it('reads a job aborted before it ran as the testing kit does: one attempt, failed with the abort', async () => {
    const queue = taskQueues.get('default');
    const job = await queue.enqueue('welcome', { name: 'never' }, { delay: 0.3 });
    expect(await queue.abort(job.id)).toBe(true);
    // Aborted at once; the worker that takes it when it is due fails it. getJob reads the state
    // before the job, so the failure's record can show beside the `active` state it ended.
    const info = await eventually(async () => {
      const read = await queue.getJob(job.id);
      return read?.failedAttempts.length && read.status !== 'active' ? read : undefined;
    });
    expect(info).toMatchObject({
      status: 'aborted',
      error: 'Aborted by TaskQueue.abort()',
      attempts: 1,
    });
    expect(info.failedAttempts).toEqual([{ attempt: 1, error: 'Aborted by TaskQueue.abort()' }]);
  });

  it('reads back null for a task that returned undefined', async () => {
    await expect(taskQueues.get('default').apply('nothing')).resolves.toBeNull();
  });

  it('rejects apply with TaskWaitTimeoutError when the wait runs out, leaving the job be', async () => {
    const queue = taskQueues.get('default');
    const failure = await queue
      .apply('sleep', { ms: 1500 }, { timeout: 0.2 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TaskWaitTimeoutError);
    const { jobId } = failure as TaskWaitTimeoutError;
    const info = await eventually(async () => {
      const read = await queue.getJob(jobId);
      return read?.status === 'complete' ? read : undefined;
    });
    expect(info.result).toBe('slept');
  });

  it('lets a task enqueue a follow-up through ctx.queue; both run', async () => {
    const queue = taskQueues.get('default');
    const { followUpId, queue: ranOn } = await queue.apply<{ followUpId: string; queue: string }>(
      'signup',
      { name: 'Linus' },
    );
    expect(ranOn).toBe('default');
    const followUp = await eventually(async () => {
      const read = await queue.getJob(followUpId);
      return read?.status === 'complete' ? read : undefined;
    });
    expect(followUp.name).toBe('welcome');
    expect(followUp.result).toMatchObject({ message: 'Hello, Linus' });
  });

  it('runs each task on its own queue', async () => {
    await expect(taskQueues.get('default').apply('where')).resolves.toBe('default');
    await expect(taskQueues.get('emails').apply('where')).resolves.toBe('emails');
  });

  it('honours per-queue concurrency: with 5, five run at once and never more', async () => {
    const mail = app.get(MailTasks);
    const emails = taskQueues.get('emails');
    await Promise.all(Array.from({ length: 15 }, () => emails.apply('slowSend')));
    expect(mail.maxRunning).toBe(5);
  });

  it('runs each of 200 concurrently enqueued jobs exactly once', async () => {
    const mail = app.get(MailTasks);
    const queue = taskQueues.get('default');
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, n) => queue.apply<number>('count', { n })),
    );
    expect(results).toEqual(Array.from({ length: 200 }, (_, n) => n));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mail.runs.size).toBe(200);
    expect([...mail.runs.values()].every((times) => times === 1)).toBe(true);
  });

  it('creates a request-scoped task provider afresh for each job', async () => {
    const queue = taskQueues.get('default');
    const first = await queue.apply<number>('whoAmI');
    const second = await queue.apply<number>('whoAmI');
    expect(second).toBeGreaterThan(first);
  });

  it('rejects bad input with a clear error and enqueues nothing', async () => {
    const before = (await countJobs(app, 'default')) + (await countJobs(app, 'emails'));

    expect(() => taskQueues.get('reports')).toThrow(UnknownQueueError);
    expect(() => taskQueues.get('reports')).toThrow(/'reports'.*'default', 'emails'/);

    const queue = taskQueues.get('default');
    await expect(queue.enqueue('send_fax', {})).rejects.toThrow(UnknownTaskError);
    await expect(queue.enqueue('send_fax', {})).rejects.toThrow(/'send_fax' on queue 'default'/);
    // A task that exists, but on another queue.
    await expect(taskQueues.get('emails').enqueue('welcome', {})).rejects.toThrow(
      /Unknown task 'welcome' on queue 'emails'/,
    );

    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    const rejected: [unknown, RegExp][] = [
      [{ user: { onDone: () => 1 } }, /payload\.user\.onDone is a function/],
      [{ id: 10n }, /payload\.id is a BigInt/],
      [{ tags: new Set(['a']) }, /payload\.tags is a Set instance/],
      [{ index: new Map() }, /payload\.index is a Map instance/],
      [{ ratio: Number.NaN }, /payload\.ratio is NaN/],
      [{ list: [1, Infinity] }, /payload\.list\[1\] is Infinity/],
      [{ s: Symbol('s') }, /payload\.s is a symbol/],
      [cyclic, /payload\.self refers back/],
      [[1, 2], /payload is an array/],
      [{ when: new (class Moment {})() }, /payload\.when is a Moment instance/],
    ];
    for (const [payload, message] of rejected) {
      const error = await queue.enqueue('welcome', payload as object).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as Error).message).toMatch(message);
    }
    const badOption = queue.enqueue('welcome', { name: 'x' }, { retries: -1 });
    await expect(badOption).rejects.toThrow(InvalidOptionsError);
    await expect(badOption).rejects.toThrow(/'retries' is -1/);
    await expect(queue.apply('welcome', { name: 'x' }, { timeout: 0 })).rejects.toThrow(
      InvalidOptionsError,
    );

    expect((await countJobs(app, 'default')) + (await countJobs(app, 'emails'))).toBe(before);
  });

  it('accepts a Date in the payload and sends it as its ISO string', async () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const result = await taskQueues
      .get('default')
      .apply<{ message: string }>('welcome', { name: at });
    expect(result.message).toBe('Hello, 2026-01-02T03:04:05.000Z');
  });

  it('reports health, stats and metrics from the backend it runs on', async () => {
    await taskQueues.get('default').apply('welcome', { name: 'metrics' });
    // Healthy once each queue's worker is connected (they start after the bootstrap).
    const report = await eventually(async () => {
      const checked = await app.get(TaskQueueHealth).check();
      return checked.healthy ? checked : undefined;
    });
    expect(report.backend).toEqual({ kind: BACKEND, reachable: true });
    expect(report.queues.default.workers).toBeGreaterThan(0);
    expect(report.queues.emails.workers).toBeGreaterThan(0);
    const { counts, workers } = await taskQueues.get('default').stats();
    expect(counts.complete).toBeGreaterThan(0);
    expect(workers).toBeGreaterThan(0);
    const metrics = await app.get(TaskQueueMetrics).prometheus();
    expect(metrics).toMatch(/^task_queue_workers\{queue="default"\} [1-9]/m);
    expect(metrics).toMatch(/^task_queue_jobs\{queue="default",status="active"\} \d+$/m);
    expect(metrics).toMatch(
      /^task_queue_job_duration_seconds_count\{queue="default",task="welcome",outcome="completed"\} [1-9]/m,
    );
  });
});
