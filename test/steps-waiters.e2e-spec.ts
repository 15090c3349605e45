import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Task, TaskQueues, type TaskContext } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { testBackend } from './support/backend.js';
import { startTaskApp } from './support/task-app.js';

/** A promise and what settles it. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** A task that waits for an event, with a step on either side. */
@Injectable()
class WaitingTasks {
  /** The jobs whose step after the wait ran. */
  readonly resumed = new Set<string>();

  @Task()
  async await(ctx: TaskContext, { event }: { event: string }) {
    await ctx.step('before', () => 1);
    const data = await ctx.waitForEvent(event, { timeout: 600 });
    await ctx.step('after', () => this.resumed.add(ctx.job.id).size);
    return data;
  }
}

@Module({ providers: [WaitingTasks] })
class WaitingModule {}

/** The index of waiters: what is left in it as jobs end in ways other than a send. */
describe('the waiters of events, as their jobs end', () => {
  const backend = testBackend('steps-waiters');
  let app: TestingModule;
  const queue = () => app.get(TaskQueues).get('default');
  const bull = () => app.get(QueueBackend).queue('default');
  /** The jobs indexed as waiters of event `name`. */
  const waitersOf = async (name: string) =>
    (await app.get(QueueBackend).listWaiters(name)).map(
      (body) => (JSON.parse(body) as { jobId: string }).jobId,
    );
  /** A job of `await` for a new event name, once it waits (scheduled). */
  const waiting = async () => {
    const event = `waiters.${Math.random()}`;
    const { id } = await queue().enqueue('await', { event });
    await waitFor(async () => (await queue().getJob(id))?.status === 'scheduled');
    return { id, event };
  };

  /**
   * Holds the runs that wait for `event` once their waiter is in the index, before they have
   * suspended their job, until `release`; `restore` puts the backend's own `addWaiter` back.
   */
  const holdIndexing = (event: string) => {
    const backendOf = app.get(QueueBackend);
    const addWaiter = backendOf.addWaiter.bind(backendOf);
    const reached = deferred();
    const released = deferred();
    backendOf.addWaiter = async (name, field, body) => {
      await addWaiter(name, field, body);
      if (name !== event) return;
      reached.resolve();
      await released.promise;
    };
    return {
      reached: reached.promise,
      release: released.resolve,
      restore: () => {
        released.resolve();
        backendOf.addWaiter = addWaiter;
      },
    };
  };

  beforeAll(async () => {
    app = await startTaskApp({ backend, imports: [WaitingModule] });
  }, 60_000);

  it('leaves no waiter when the abort lands while the wait is being indexed', async () => {
    const event = `indexing.${Math.random()}`;
    const indexed = holdIndexing(event);
    try {
      const { id } = await queue().enqueue('await', { event });
      await indexed.reached;
      expect(await waitersOf(event)).toEqual([id]);
      expect(await queue().abort(id)).toBe(true);
      // The run ended aborted while it held; the job failed for good, not delayed.
      await waitFor(async () => (await bull().getJobState(id)) === 'failed');
      indexed.release();
      await waitFor(async () => (await waitersOf(event)).length === 0);
      expect((await queue().getJob(id))?.status).toBe('aborted');
      expect(await app.get(TaskQueues).sendEvent(event, {})).toBe(0);
      expect(app.get(WaitingTasks).resumed.has(id)).toBe(false);
    } finally {
      indexed.restore();
    }
  });

  it('leaves no waiter when a timeout with no retry left lands while the wait is being indexed', async () => {
    const event = `timing-out.${Math.random()}`;
    const indexed = holdIndexing(event);
    try {
      const { id } = await queue().enqueue('await', { event }, { timeout: 1 });
      await indexed.reached;
      expect(await waitersOf(event)).toEqual([id]);
      // The run timed out while it held, on the job's only attempt: the job failed for good.
      await waitFor(async () => (await bull().getJobState(id)) === 'failed');
      indexed.release();
      await waitFor(async () => (await waitersOf(event)).length === 0);
      const job = await queue().getJob(id);
      expect(job?.status).toBe('failed');
      expect(job?.error).toMatch(/timed out/i);
      expect(await app.get(TaskQueues).sendEvent(event, {})).toBe(0);
      expect(app.get(WaitingTasks).resumed.has(id)).toBe(false);
    } finally {
      indexed.restore();
    }
  });

  it('keeps the waiter of a run that timed out while indexing it when the job retries', async () => {
    const event = `timing-out-retried.${Math.random()}`;
    const indexed = holdIndexing(event);
    try {
      const { id } = await queue().enqueue('await', { event }, { timeout: 1, retries: 1 });
      await indexed.reached;
      // The first attempt timed out while it held; the second finds its wait begun and waits.
      await waitFor(async () => (await bull().getJob(id))?.attemptsMade === 1);
      indexed.release();
      await waitFor(async () => (await queue().getJob(id))?.status === 'scheduled');
      expect(await waitersOf(event)).toEqual([id]);
      expect(await app.get(TaskQueues).sendEvent(event, { confirmed: true })).toBe(1);
      await waitFor(async () => (await queue().getJob(id))?.status === 'complete');
      expect((await queue().getJob(id))?.result).toEqual({ confirmed: true });
      expect(await waitersOf(event)).toEqual([]);
    } finally {
      indexed.restore();
    }
  });

  it.each(['remove', 'obliterate'] as const)(
    "drops the waiter of a job BullMQ's own %s took, at the next event of its name",
    async (how) => {
      const { id, event } = await waiting();
      expect(await waitersOf(event)).toEqual([id]);
      if (how === 'remove') await bull().remove(id);
      else {
        await bull().pause();
        await bull().obliterate({ force: true });
        await bull().resume();
      }
      // The job and its journal are gone; its entry stays until an event of its name comes.
      expect(await bull().getJob(id)).toBeUndefined();
      expect((await bull().getJobLogs(id)).count).toBe(0);
      expect(await waitersOf(event)).toEqual([id]);
      expect(await app.get(TaskQueues).sendEvent(event, { late: true })).toBe(0);
      expect(await waitersOf(event)).toEqual([]);
      // Nothing was made again for it: no job, no journal.
      expect(await bull().getJob(id)).toBeUndefined();
      expect((await bull().getJobLogs(id)).count).toBe(0);
      expect(app.get(WaitingTasks).resumed.has(id)).toBe(false);
    },
  );
});

/** Resolves once `done` holds, reading it every 50 ms for up to 20 s. */
async function waitFor(done: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await done())) {
    if (Date.now() > until) throw new Error('condition not met within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
