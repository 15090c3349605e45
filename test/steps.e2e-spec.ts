import { describe, expect, it } from '@jest/globals';
import { Injectable, Module, Scope } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  Task,
  TaskFailedError,
  TaskQueues,
  type OnTaskFailure,
  type OnTaskSuccess,
  type TaskContext,
} from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { BACKEND, testBackend } from './support/backend.js';
import { startTaskApp } from './support/task-app.js';

/** Bytes of JSON the spec's jobs may take, payload and step results alike. */
const MAX_BYTES = 4000;

/** A promise and what settles it. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * Where the test holds a job between the end of its execution and its move to the delayed set:
 * the hooks of its per-job providers run in between (a sleep or a wait settles them as a
 * success, so that what the steps wrote through a job's session is committed).
 */
let hold = { reached: deferred(), release: deferred() };

/** How the executions of `held` settled their per-job providers, in order. */
const settlements: string[] = [];

/** Holds the end of its job's execution until the test releases it. */
@Injectable({ scope: Scope.REQUEST })
class HeldEnd implements OnTaskSuccess, OnTaskFailure {
  async onTaskSuccess(): Promise<void> {
    settlements.push('success');
    hold.reached.resolve();
    await hold.release.promise;
  }

  onTaskFailure(): void {
    settlements.push('failure');
  }
}

/** Tasks whose durable steps count the side effects they stand for. */
@Injectable()
class StepTasks {
  /** How many times each side effect ran, by job id and step. */
  readonly effects = new Map<string, number>();

  private effect(ctx: TaskContext, name: string): number {
    const key = `${ctx.job.id}:${name}`;
    const count = (this.effects.get(key) ?? 0) + 1;
    this.effects.set(key, count);
    return count;
  }

  /** Charges once, then fails on its first attempt: the retry must not charge again. */
  @Task({ retries: 2 })
  async capture(ctx: TaskContext) {
    const charge = await ctx.step('charge', () => ({
      chargeId: `ch_${this.effect(ctx, 'charge')}`,
      at: new Date(0),
    }));
    if (ctx.job.attempt === 1) throw new Error('mail server down');
    const receipt = await ctx.step('receipt', () => this.effect(ctx, 'receipt'));
    return { charge, receipt, attempt: ctx.job.attempt };
  }

  /** A step that throws on the first attempt is not stored: it runs again on the retry. */
  @Task({ retries: 1 })
  async flaky(ctx: TaskContext) {
    const value = await ctx.step('call', () => {
      const count = this.effect(ctx, 'call');
      if (count === 1) throw new Error('upstream 503');
      return count;
    });
    return { value };
  }

  @Task({ retries: 1 })
  async notPlain(ctx: TaskContext) {
    await ctx.step('lookup', () => ({ user: { seen: new Map([['a', 1]]) } }));
  }

  @Task({ retries: 3 })
  async twice(ctx: TaskContext) {
    await ctx.step('send', () => 1);
    await ctx.step('send', () => 2);
  }

  /** Sleeps between two steps, on a queue that runs one job at a time. */
  @Task({ queue: 'single', timeout: 3 })
  async nap(ctx: TaskContext, { seconds }: { seconds: number }) {
    const before = await ctx.step('before', () => this.effect(ctx, 'before'));
    // Busy for most of the timeout in each execution: the sleep is not counted in it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await ctx.sleep(seconds);
    const after = await ctx.step('after', () => this.effect(ctx, 'after'));
    return { before, after, attempt: ctx.job.attempt };
  }

  @Task({ queue: 'single' })
  quick() {
    return 'done';
  }

  /** Waits for the confirmation of its user, for `timeout` seconds. */
  @Task()
  async confirm(ctx: TaskContext, { userId, timeout }: { userId: number; timeout: number }) {
    const event = await ctx.waitForEvent('email.confirmed', { match: { userId }, timeout });
    return { event, attempt: ctx.job.attempt };
  }

  /** Sleeps, or waits for `event`, for ten minutes, its execution's end held by the test. */
  @Task()
  async held(ctx: TaskContext, { event }: { event?: string }, _end: HeldEnd) {
    await ctx.step('before', () => this.effect(ctx, 'before'));
    if (event) await ctx.waitForEvent(event, { timeout: 600 });
    else await ctx.sleep(600);
    await ctx.step('after', () => this.effect(ctx, 'after'));
  }

  @Task()
  async heavy(ctx: TaskContext) {
    await ctx.step('first', () => 'x'.repeat(MAX_BYTES / 2));
    await ctx.step('second', () => 'y'.repeat(MAX_BYTES / 2));
  }
}

@Module({ providers: [StepTasks, HeldEnd] })
class StepsModule {}

describe(`durable steps on ${BACKEND}`, () => {
  const backend = testBackend('steps');
  let app: TestingModule;
  const queue = () => app.get(TaskQueues).get('default');
  const failure = (name: string) =>
    queue()
      .apply(name, {}, { timeout: 30 })
      .then(
        () => {
          throw new Error(`${name} completed`);
        },
        (error: unknown) => error as TaskFailedError,
      );

  beforeAll(async () => {
    app = await startTaskApp({
      backend,
      imports: [StepsModule],
      options: { maxPayloadBytes: MAX_BYTES, queues: { default: {}, single: { concurrency: 1 } } },
    });
  }, 60_000);

  it('keeps a step result across a retry: its side effect runs once', async () => {
    const { id } = await queue().enqueue('capture');
    await waitFor(async () => (await queue().getJob(id))?.status === 'complete');
    const job = await queue().getJob(id);
    expect(job?.result).toEqual({
      charge: { chargeId: 'ch_1', at: '1970-01-01T00:00:00.000Z' },
      receipt: 1,
      attempt: 2,
    });
    expect(job?.steps.map((step) => step.id)).toEqual(['charge', 'receipt']);
    const { effects } = app.get(StepTasks);
    expect([effects.get(`${id}:charge`), effects.get(`${id}:receipt`)]).toEqual([1, 1]);
  });

  it('does not store a step that throws: it runs again on the retry', async () => {
    expect(await queue().apply('flaky', {}, { timeout: 30 })).toEqual({ value: 2 });
  });

  it('lists the steps a job did in getJob, without their results', async () => {
    const error = await failure('notPlain');
    const job = await queue().getJob(error.jobId);
    expect(job?.steps).toEqual([]);
    const done = await queue().enqueue('flaky');
    await waitFor(async () => (await queue().getJob(done.id))?.status === 'complete');
    const info = await queue().getJob(done.id);
    expect(info?.steps).toEqual([{ id: 'call', at: expect.any(Date) }]);
  });

  it('fails the run on a result that is not plain data, naming the step and the path', async () => {
    const error = await failure('notPlain');
    expect(error.message).toContain("step 'lookup'");
    expect(error.message).toContain('result.user.seen');
    // The usual failure: retried.
    expect(await queue().getJob(error.jobId)).toMatchObject({ status: 'failed', attempts: 2 });
  });

  it('fails the job for good on a step id used twice in one execution, naming it', async () => {
    const error = await failure('twice');
    expect(error.message).toContain("step id 'send' is used twice");
    expect(await queue().getJob(error.jobId)).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it("fails the run past the job's limit on step results, saying which", async () => {
    const error = await failure('heavy');
    expect(error.message).toContain("step 'second'");
    expect(error.message).toContain(`over the limit of ${MAX_BYTES} bytes`);
    const job = await queue().getJob(error.jobId);
    expect(job?.steps.map((step) => step.id)).toEqual(['first']);
  });

  it('sleeps without its worker slot, reading scheduled, and resumes where it was', async () => {
    const single = app.get(TaskQueues).get('single');
    const { id } = await single.enqueue('nap', { seconds: 4 });
    await waitFor(async () => (await single.getJob(id))?.status === 'scheduled');
    // The queue runs one job at a time: this one runs while the first sleeps.
    expect(await single.apply('quick', {}, { timeout: 10 })).toBe('done');
    expect((await single.getJob(id))?.status).toBe('scheduled');
    await waitFor(async () => (await single.getJob(id))?.status === 'complete');
    const job = await single.getJob(id);
    // Two executions, one attempt; each step ran once; the sleep was not held to the timeout.
    expect(job).toMatchObject({
      result: { before: 1, after: 1, attempt: 1 },
      attempts: 2,
      failedAttempts: [],
    });
    expect(job?.steps.map((step) => step.id)).toEqual(['before', 'after']);
  });

  it('waits through sleeps in apply', async () => {
    const single = app.get(TaskQueues).get('single');
    const result = await single.apply('nap', { seconds: 0.5 }, { timeout: 30 });
    expect(result).toMatchObject({ before: 1, after: 1, attempt: 1 });
  });

  it('ends a sleeping job aborted at once on abort(), its later steps never run', async () => {
    const single = app.get(TaskQueues).get('single');
    const { id } = await single.enqueue('nap', { seconds: 600 });
    await waitFor(async () => (await single.getJob(id))?.status === 'scheduled');
    expect(await single.abort(id)).toBe(true);
    // Promoted from its sleep and failed by a worker, not left asleep for ten minutes.
    await waitFor(async () => (await single.stats()).counts.scheduled === 0);
    // Until its run has ended: promoted, it is queued and then active before a worker fails it.
    const bull = app.get(QueueBackend).queue('single');
    await waitFor(async () => ['failed', 'completed'].includes(await bull.getJobState(id)));
    const job = await single.getJob(id);
    expect(job?.status).toBe('aborted');
    expect(job?.steps.map((step) => step.id)).toEqual(['before']);
    expect(app.get(StepTasks).effects.get(`${id}:after`)).toBeUndefined();
  });

  /** The jobs indexed as waiters of event `name`. */
  const waitersOf = async (name: string) =>
    (await app.get(QueueBackend).listWaiters(name)).map(
      (body) => (JSON.parse(body) as { jobId: string }).jobId,
    );

  it.each(['sleep', 'wait'])(
    'ends a job aborted at once when the abort lands while it goes to %s',
    async (kind) => {
      hold = { reached: deferred(), release: deferred() };
      const event = kind === 'wait' ? `held.${Math.random()}` : undefined;
      const { id } = await queue().enqueue('held', { event });
      // Its execution has ended (suspended), and its job is not delayed yet.
      await hold.reached.promise;
      expect(await queue().abort(id)).toBe(true);
      hold.release.resolve();
      // Failed by a worker now (getJob reads `aborted` as soon as it is marked, failed or not).
      const bull = app.get(QueueBackend).queue('default');
      await waitFor(async () => (await bull.getJobState(id)) === 'failed');
      const job = await queue().getJob(id);
      expect(job?.status).toBe('aborted');
      expect(job?.steps.map((step) => step.id)).toEqual(['before']);
      expect(app.get(StepTasks).effects.get(`${id}:after`)).toBeUndefined();
      if (event) expect(await waitersOf(event)).toEqual([]);
    },
  );

  it('settles the per-job providers as a success when the execution sleeps or waits', async () => {
    hold = { reached: deferred(), release: deferred() };
    hold.release.resolve();
    settlements.length = 0;
    const { id } = await queue().enqueue('held', {});
    await waitFor(async () => (await queue().getJob(id))?.status === 'scheduled');
    // The step done before the sleep stays done: a job's session would commit it.
    expect(settlements).toEqual(['success']);
    expect(app.get(StepTasks).effects.get(`${id}:before`)).toBe(1);
    expect(await queue().abort(id)).toBe(true);
  });

  it('takes the waiter of a waiting job out of the index when the job is aborted', async () => {
    const event = `abandoned.${Math.random()}`;
    hold = { reached: deferred(), release: deferred() };
    hold.release.resolve();
    const { id } = await queue().enqueue('held', { event });
    await waitFor(async () => (await queue().getJob(id))?.status === 'scheduled');
    expect(await waitersOf(event)).toEqual([id]);
    expect(await queue().abort(id)).toBe(true);
    // At once, not when an event of that name comes.
    expect(await waitersOf(event)).toEqual([]);
    await waitFor(async () => (await queue().getJob(id))?.status === 'aborted');
  });

  it('fails a job whose log BullMQ trims (keepLogs) at its first step, for good, saying why', async () => {
    const bull = app.get(QueueBackend).queue('default');
    const added = await bull.add('capture', {}, { keepLogs: 10, attempts: 3 });
    await waitFor(async () => (await queue().getJob(added.id!))?.status === 'failed');
    const job = await queue().getJob(added.id!);
    expect(job?.error).toContain("BullMQ's keepLogs: 10");
    expect(job).toMatchObject({ attempts: 1, steps: [] });
    expect(app.get(StepTasks).effects.get(`${added.id}:charge`)).toBeUndefined();
  });

  describe('waitForEvent and sendEvent', () => {
    const status = async (id: string) => (await queue().getJob(id))?.status;
    const waiting = async (timeout = 60) => {
      const userId = Math.floor(Math.random() * 1e9);
      const { id } = await queue().enqueue('confirm', { userId, timeout });
      await waitFor(async () => (await status(id)) === 'scheduled');
      return { id, userId };
    };

    it('resumes the waiting job whose match the event has, with its data', async () => {
      const [one, two] = [await waiting(), await waiting()];
      const sent = { userId: two.userId, at: '2026-12-07' };
      expect(await app.get(TaskQueues).sendEvent('email.confirmed', sent)).toBe(1);
      await waitFor(async () => (await status(two.id)) === 'complete');
      expect((await queue().getJob(two.id))?.result).toEqual({ event: sent, attempt: 1 });
      expect(await status(one.id)).toBe('scheduled');
      expect(await app.get(TaskQueues).sendEvent('email.confirmed', { userId: one.userId })).toBe(
        1,
      );
      await waitFor(async () => (await status(one.id)) === 'complete');
    });

    it('resumes with null after its timeout', async () => {
      const result = await queue().apply('confirm', { userId: -1, timeout: 1 }, { timeout: 30 });
      expect(result).toEqual({ event: null, attempt: 1 });
    });

    it('wakes every job that waits for the event, once', async () => {
      const userId = Math.floor(Math.random() * 1e9);
      const ids = await Promise.all(
        [1, 2].map(async () => (await queue().enqueue('confirm', { userId, timeout: 60 })).id),
      );
      await waitFor(async () =>
        (await Promise.all(ids.map(status))).every((each) => each === 'scheduled'),
      );
      const queues = app.get(TaskQueues);
      expect(await queues.sendEvent('email.confirmed', { userId })).toBe(2);
      expect(await queues.sendEvent('email.confirmed', { userId })).toBe(0);
      for (const id of ids) await waitFor(async () => (await status(id)) === 'complete');
    });

    it('keeps no event that no job waits for', async () => {
      const queues = app.get(TaskQueues);
      expect(await queues.sendEvent('email.confirmed', { userId: -2 })).toBe(0);
      const { id } = await waiting();
      expect(await status(id)).toBe('scheduled');
    });
  });
});

/** Resolves once `done` holds, reading it every 50 ms for up to 20 s. */
async function waitFor(done: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await done())) {
    if (Date.now() > until) throw new Error('condition not met within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
