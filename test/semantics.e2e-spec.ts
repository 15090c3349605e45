import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import {
  InvalidPayloadError,
  NonRetryableError,
  Task,
  TaskFailedError,
  TaskQueues,
  type TaskContext,
  type TaskJobInfo,
  type TaskQueue,
} from '@app/task-queue';
import { eventually } from './support/redis.js';
import { testBackend } from './support/backend.js';
import { QUIET, startTaskApp } from './support/task-app.js';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the tasks saw, for the tests to judge. */
@Injectable()
class Journal {
  readonly events: { what: string; at: number; jobId: string }[] = [];
  /** Job ids are per queue: the journal keys them by both. */
  note(what: string, job: { queue: string; id: string }) {
    this.events.push({ what, at: Date.now(), jobId: `${job.queue}/${job.id}` });
  }
  of(job: { queue: string; id: string }, what?: string) {
    const key = `${job.queue}/${job.id}`;
    return this.events.filter((e) => e.jobId === key && (!what || e.what === what));
  }
}

@Injectable()
class SemanticsTasks {
  constructor(private readonly journal: Journal) {}

  /** Ignores its signal on purpose: the timeout must free the slot anyway. */
  @Task({ queue: 'serial', timeout: 1 })
  async stubborn(ctx: TaskContext) {
    this.journal.note('start', ctx.job);
    ctx.signal.addEventListener('abort', () => {
      const reason: unknown = ctx.signal.reason;
      this.journal.note(`signal:${reason instanceof Error ? reason.name : 'other'}`, ctx.job);
    });
    await sleep(5000);
    this.journal.note('body-end', ctx.job);
  }

  @Task({ queue: 'serial' })
  async quick(ctx: TaskContext) {
    this.journal.note('start', ctx.job);
    return 'quick';
  }

  @Task({ queue: 'serial' })
  async hold(ctx: TaskContext, payload: { ms: number }) {
    this.journal.note('start', ctx.job);
    await sleep(payload.ms);
  }

  @Task({ retries: 2, retryDelay: 0.4 })
  async alwaysFails(ctx: TaskContext) {
    this.journal.note('start', ctx.job);
    throw new Error(`attempt ${ctx.job.attempt} failed`);
  }

  @Task({ retries: 3, retryDelay: 0.2, retryBackoff: true })
  async backsOff(ctx: TaskContext) {
    this.journal.note('start', ctx.job);
    throw new Error('still failing');
  }

  @Task({ retries: 3 })
  async refuses(ctx: TaskContext) {
    this.journal.note('start', ctx.job);
    throw new NonRetryableError('account closed');
  }

  @Task({ retries: 3, schema: z.object({ email: z.email(), count: z.number().int() }) })
  async validated(ctx: TaskContext, payload: { email: string; count: number }) {
    this.journal.note('start', ctx.job);
    return payload.count;
  }

  // BullMQ trims a queue's whole finished set when a job finishes: a queue of its own.
  @Task({ queue: 'archive', retention: { completed: { count: 2 } } })
  async shortLived(_ctx: TaskContext, payload: { n: number }) {
    return payload.n;
  }

  @Task()
  async reportsProgress(ctx: TaskContext) {
    await ctx.progress(50);
    await ctx.progress({ done: 3, of: 4 });
    return 'ok';
  }

  @Task()
  async record(ctx: TaskContext, payload: { label: string }) {
    this.journal.note('start', ctx.job);
    return payload.label;
  }

  @Task({ timeout: 0.3, retries: 1, retryOnTimeout: false })
  async slowOnce(ctx: TaskContext) {
    this.journal.note('start', ctx.job);
    await sleep(2000);
  }
}

@Module({ providers: [Journal, SemanticsTasks] })
class SemanticsModule {}

describe('task execution semantics', () => {
  const backend = testBackend('semantics');
  let app: TestingModule;
  let journal: Journal;
  let queues: TaskQueues;

  beforeAll(async () => {
    app = await startTaskApp({
      backend,
      imports: [SemanticsModule],
      options: {
        queues: {
          default: { concurrency: 10 },
          serial: { concurrency: 1 },
          archive: { concurrency: 1 },
        },
      },
      logger: QUIET,
    });
    journal = app.get(Journal);
    queues = app.get(TaskQueues);
  });

  const settled = (queue: TaskQueue, id: string, timeoutMs = 15_000) =>
    eventually<TaskJobInfo>(
      async () => {
        const job = await queue.getJob(id);
        return job && ['complete', 'failed', 'aborted'].includes(job.status) ? job : undefined;
      },
      timeoutMs,
      `job ${id} to finish`,
    );

  it('fails a run past its timeout, aborts its signal, and frees the slot at once', async () => {
    const serial = queues.get('serial');
    const slow = await serial.enqueue('stubborn');
    const next = await serial.enqueue('quick');

    const failed = await settled(serial, slow.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/Task 'stubborn' \(job \d+\) timed out after 1 s/);
    expect(journal.of(slow, 'signal:TaskTimeoutError')).toHaveLength(1);

    // On a concurrency-1 queue the next job ran while the timed-out body was still sleeping.
    expect((await settled(serial, next.id)).status).toBe('complete');
    const [nextStart] = journal.of(next, 'start');
    expect(journal.of(slow, 'body-end')).toHaveLength(0);
    expect(nextStart.at).toBeLessThan(journal.of(slow, 'start')[0].at + 5000);
  });

  it('takes a timeout given at enqueue over the task’s own', async () => {
    const serial = queues.get('serial');
    const job = await serial.enqueue('hold', { ms: 3000 }, { timeout: 0.2 });
    const failed = await settled(serial, job.id);
    expect(failed.error).toMatch(/timed out after 0.2 s/);
  });

  it('does not retry a timed-out run when the task says retryOnTimeout: false', async () => {
    const queue = queues.get('default');
    const job = await queue.enqueue('slowOnce');
    const failed = await settled(queue, job.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.error).toMatch(/timed out after 0.3 s/);
  });

  it('runs retries: 2 three times, reads scheduled while waiting, then fails', async () => {
    const queue = queues.get('default');
    const job = await queue.enqueue('alwaysFails');
    await eventually(async () =>
      (await queue.getJob(job.id))?.status === 'scheduled' ? true : undefined,
    );
    const failed = await settled(queue, job.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, error: 'attempt 3 failed' });
    const starts = journal.of(job, 'start').map((e) => e.at);
    expect(starts).toHaveLength(3);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(390);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(390);
  });

  it('doubles the delay between retries with retryBackoff, within its jitter', async () => {
    const queue = queues.get('default');
    const job = await queue.enqueue('backsOff');
    await settled(queue, job.id);
    const starts = journal.of(job, 'start').map((e) => e.at);
    expect(starts).toHaveLength(4);
    // Retry n waits between half and all of 200 ms × 2^(n-1).
    [200, 400, 800].forEach((full, n) => {
      expect(starts[n + 1] - starts[n]).toBeGreaterThanOrEqual(full / 2 - 10);
    });
  });

  it('ends at once on NonRetryableError, whatever retries are left', async () => {
    const queue = queues.get('default');
    const error = await queue.apply('refuses').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as Error).message).toContain('account closed');
    const job = await queue.getJob((error as TaskFailedError).jobId);
    expect(job).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('rejects a payload its schema refuses at enqueue, with the validator’s message', async () => {
    const queue = queues.get('default');
    const error = await queue
      .enqueue('validated', { email: 'not-an-email', count: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect((error as Error).message).toMatch(/schema: email: Invalid email address/);
    await expect(queue.apply('validated', { email: 'a@b.co', count: 3 })).resolves.toBe(3);
  });

  describe('jobs put on the queue by other code', () => {
    let raw: Queue;
    beforeAll(() => {
      // The application's own BullMQ queue, used as other code would use BullMQ directly.
      raw = app.get(QueueBackend).queue('default');
    });

    it('fails a payload the schema refuses in the worker after one attempt', async () => {
      const job = await raw.add('validated', { email: 'nope', count: 1.5 }, { attempts: 4 });
      const failed = await settled(queues.get('default'), job.id!);
      expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
      expect(failed.error).toMatch(/does not match the task's schema/);
      expect(journal.of({ queue: 'default', id: job.id! })).toHaveLength(0);
    });

    it('fails a job of a task this worker does not know after one attempt', async () => {
      const job = await raw.add('from_a_newer_deploy', {}, { attempts: 4 });
      const failed = await settled(queues.get('default'), job.id!);
      expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
      expect(failed.error).toMatch(/No task 'from_a_newer_deploy' on queue 'default'/);
    });
  });

  it('aborts a queued job: it reads aborted and its body never runs', async () => {
    const serial = queues.get('serial');
    const blocker = await serial.enqueue('hold', { ms: 800 });
    await eventually(async () =>
      (await serial.getJob(blocker.id))?.status === 'active' ? true : undefined,
    );
    const queued = await serial.enqueue('quick');
    expect((await serial.getJob(queued.id))?.status).toBe('queued');

    await expect(serial.abort(queued.id)).resolves.toBe(true);
    expect((await serial.getJob(queued.id))?.status).toBe('aborted');
    await settled(serial, blocker.id);
    const ended = await settled(serial, queued.id);
    expect(ended).toMatchObject({ status: 'aborted', error: 'Aborted by TaskQueue.abort()' });
    expect(journal.of(queued)).toHaveLength(0);
  });

  it('aborts a delayed job: it reads aborted and never runs; apply on it rejects', async () => {
    const queue = queues.get('default');
    const delayed = await queue.enqueue('record', { label: 'later' }, { delay: 30 });
    expect((await queue.getJob(delayed.id))?.status).toBe('scheduled');
    await expect(queue.abort(delayed.id)).resolves.toBe(true);
    const ended = await settled(queue, delayed.id, 5000);
    expect(ended.status).toBe('aborted');
    expect(journal.of(delayed)).toHaveLength(0);
  });

  it('leaves a finished job as it is, and says so', async () => {
    const queue = queues.get('default');
    const job = await queue.enqueue('record', { label: 'done' });
    await settled(queue, job.id);
    await expect(queue.abort(job.id)).resolves.toBe(false);
    expect((await queue.getJob(job.id))?.status).toBe('complete');
    await expect(queue.abort('no-such-job')).resolves.toBe(false);
  });

  it('gives one job for two concurrent enqueues with one key; the key is free once it ends', async () => {
    const queue = queues.get('default');
    const [a, b] = await Promise.all([
      queue.enqueue('record', { label: 'first' }, { key: 'report:2026-11', delay: 0.3 }),
      queue.enqueue('record', { label: 'second' }, { key: 'report:2026-11', delay: 0.3 }),
    ]);
    expect(a.id).toBe(b.id);
    // One of the two payloads: which one is up to the order the backend took them in (on
    // PostgreSQL the two enqueues travel on two connections of the pool at once).
    expect(['first', 'second']).toContain((await settled(queue, a.id)).result);
    expect(journal.of(a)).toHaveLength(1);

    const again = await queue.enqueue('record', { label: 'third' }, { key: 'report:2026-11' });
    expect(again.id).not.toBe(a.id);
    expect((await settled(queue, again.id)).result).toBe('third');
  });

  it('holds a delayed job as scheduled, then runs it after its delay', async () => {
    const queue = queues.get('default');
    const enqueuedAt = Date.now();
    const job = await queue.enqueue('record', { label: 'delayed' }, { delay: 0.7 });
    expect((await queue.getJob(job.id))?.status).toBe('scheduled');
    expect((await settled(queue, job.id)).result).toBe('delayed');
    expect(journal.of(job, 'start')[0].at - enqueuedAt).toBeGreaterThanOrEqual(690);
  });

  it('drops finished jobs past the retention limit: getJob returns undefined', async () => {
    const archive = queues.get('archive');
    const ids: string[] = [];
    for (let n = 0; n < 4; n += 1) {
      const job = await archive.enqueue('shortLived', { n });
      await settled(archive, job.id);
      ids.push(job.id);
    }
    // On PostgreSQL and PGlite a sweep removes them shortly after they finish (not inside the
    // completion): the same jobs are kept, a moment later.
    const results = async () =>
      (await Promise.all(ids.map((id) => archive.getJob(id)))).map((job) => job?.result);
    await eventually(
      async () => ((await results())[1] === undefined ? true : undefined),
      5000,
      'the sweep',
    );
    expect(await results()).toEqual([undefined, undefined, 2, 3]);
  });

  it('enqueues by provider class and method, with payload and result type-checked', async () => {
    const queue = queues.get('default');
    const label: string = await queue.apply(SemanticsTasks, 'record', { label: 'typed' });
    expect(label).toBe('typed');
    const { id } = await queue.enqueue(SemanticsTasks, 'reportsProgress');
    expect((await settled(queue, id)).result).toBe('ok');

    // The compiler refuses what the task would not accept; each line would also fail at run time.
    const refused = [
      // @ts-expect-error: label is a string
      () => queue.enqueue(SemanticsTasks, 'record', { label: 42 }),
      // @ts-expect-error: the payload is required
      () => queue.enqueue(SemanticsTasks, 'record'),
      // @ts-expect-error: no such method
      () => queue.enqueue(SemanticsTasks, 'noSuchTask', {}),
      // @ts-expect-error: the result is a number, not a string
      async () => (await queue.apply(SemanticsTasks, 'shortLived', { n: 1 })) satisfies string,
    ];
    expect(refused).toHaveLength(4);

    await expect(queue.enqueue(SemanticsTasks, 'stubborn')).rejects.toThrow(
      /SemanticsTasks\.stubborn is a task of queue 'serial', not 'default'/,
    );
    await expect(queue.enqueue(Journal as never, 'note' as never)).rejects.toThrow(
      /Journal\.note is not a task this application discovered/,
    );
  });

  it('reads progress back through getJob', async () => {
    const queue = queues.get('default');
    const job = await queue.enqueue('reportsProgress');
    expect(await settled(queue, job.id)).toMatchObject({
      status: 'complete',
      progress: { done: 3, of: 4 },
      result: 'ok',
    });
  });
});
