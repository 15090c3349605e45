import { describe, expect, it } from '@jest/globals';
import { Injectable, Module, type LoggerService } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  Task,
  TaskQueues,
  type EnqueuedJob,
  type TaskContext,
  type TaskQueue,
  type TaskQueueModuleOptions,
} from '@app/task-queue';
import { BACKEND, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { QUIET, startTaskApp } from './support/task-app.js';

interface Payload {
  label: string;
  /** Waits until the test releases it. */
  hold?: boolean;
  /** On its first run, once released: pauses its queue for this long (`ctx.rateLimit()`). */
  limit?: number;
}

/** Records when each body starts and how many run at once; holds those asked to. */
@Injectable()
class AheadTasks {
  readonly started: { label: string; at: number }[] = [];
  running = 0;
  most = 0;
  limitedAt = 0;
  private readonly holds = new Map<string, () => void>();
  private readonly limited = new Set<string>();

  @Task({ queue: 'ahead' })
  ahead(ctx: TaskContext, payload: Payload) {
    return this.body(ctx, payload);
  }

  @Task({ queue: 'handoff' })
  handoff(ctx: TaskContext, payload: Payload) {
    return this.body(ctx, payload);
  }

  @Task({ queue: 'paced' })
  paced(ctx: TaskContext, payload: Payload) {
    return this.body(ctx, payload);
  }

  release(label: string): void {
    this.holds.get(label)?.();
  }

  labels(): string[] {
    return this.started.map(({ label }) => label);
  }

  private async body(ctx: TaskContext, { label, hold, limit }: Payload) {
    this.started.push({ label, at: Date.now() });
    this.running += 1;
    this.most = Math.max(this.most, this.running);
    try {
      if (hold && !this.limited.has(label)) {
        await new Promise<void>((resolve) => this.holds.set(label, resolve));
      }
      if (limit !== undefined && !this.limited.has(label)) {
        this.limited.add(label);
        this.limitedAt = Date.now();
        await ctx.rateLimit(limit);
      }
      return label;
    } finally {
      this.running -= 1;
    }
  }
}

@Module({ providers: [AheadTasks] })
class AheadModule {}

const QUEUES: TaskQueueModuleOptions['queues'] = {
  ahead: { concurrency: 1, prefetch: 2 },
  handoff: { concurrency: 1, prefetch: 2 },
  paced: { concurrency: 1, prefetch: 2 },
};

const statusOf = async (queue: TaskQueue, id: string) => (await queue.getJob(id))?.status;

/** Waits until every job of `jobs` reads back `status`. */
const whenAll = (queue: TaskQueue, jobs: { id: string }[], status: string) => {
  const ids = jobs.map(({ id }) => id);
  return eventually(
    async () => {
      const read = await Promise.all(ids.map((id) => statusOf(queue, id)));
      return read.every((is) => is === status) ? true : undefined;
    },
    15_000,
    `jobs ${ids.join(', ')} to be ${status}`,
  );
};

/** Waits until the body of the job labelled `label` has started. */
const whenStarted = (tasks: AheadTasks, label: string) =>
  eventually(() => (tasks.labels().includes(label) ? true : undefined));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The job log's lines (`Job finished: …`), kept to be read. */
const logged: string[] = [];
const KEEP_LINES: LoggerService = {
  log: (message: unknown) => void logged.push(String(message)),
  warn() {},
  error: (message: unknown) => void logged.push(String(message)),
};

/** The `duration_ms` the job log gave job `id` of `queue`. */
const loggedDuration = (queue: string, id: string) => {
  const line = logged.find((text) => text.includes(`queue=${queue} job=${id} `));
  return Number(/duration_ms=(\d+)/.exec(line ?? '')?.[1]);
};

describe(`claiming ahead (prefetch) on ${BACKEND}`, () => {
  const backend = testBackend('prefetch');
  const start = (
    queues: string[],
    options: Partial<TaskQueueModuleOptions> = {},
    logger: LoggerService = QUIET,
  ) =>
    startTaskApp({
      backend,
      imports: [AheadModule],
      logger,
      options: { queues: QUEUES, defaultQueue: 'ahead', worker: { queues }, ...options },
    });
  let app: TestingModule;
  const queue = (name: string) => app.get(TaskQueues).get(name);

  beforeAll(async () => {
    app = await start(['ahead', 'paced'], {}, KEEP_LINES);
  }, 60_000);

  it('claims jobs ahead of its free slots, and still runs them one at a time', async () => {
    const tasks = app.get(AheadTasks);
    const ahead = queue('ahead');
    const first = await ahead.enqueue('ahead', { label: 'a', hold: true });
    await whenStarted(tasks, 'a');
    const rest: EnqueuedJob[] = [];
    for (const label of ['b', 'c', 'd', 'e']) rest.push(await ahead.enqueue('ahead', { label }));
    // One slot and two jobs claimed ahead: b and c are the worker's, d and e still queued.
    await whenAll(ahead, rest.slice(0, 2), 'active');
    expect(await statusOf(ahead, rest[2].id)).toBe('queued');
    expect(await statusOf(ahead, rest[3].id)).toBe('queued');
    expect(tasks.labels()).toEqual(['a']);

    // b waits claimed while a runs on: its run's duration counts from its start, not its claim.
    await sleep(400);
    tasks.release('a');
    await whenAll(ahead, [first, ...rest], 'complete');
    // Claimed ahead in the order of the queue; on PostgreSQL a completion's claim and a free
    // slot's may run at once, and the one that answers first starts first (as two slots would).
    expect(tasks.labels().slice(0, 3)).toEqual(['a', 'b', 'c']);
    expect(tasks.labels().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(tasks.most).toBe(1);
    const info = await ahead.getJob(rest[0].id);
    expect(info).toMatchObject({ status: 'complete', result: 'b', attempts: 1 });
    await eventually(() => (Number.isNaN(loggedDuration('ahead', rest[0].id)) ? undefined : true));
    expect(loggedDuration('ahead', first.id)).toBeGreaterThanOrEqual(400);
    expect(loggedDuration('ahead', rest[0].id)).toBeLessThan(300);
  }, 30_000);

  it('ends a job aborted while it waits, claimed, without starting it', async () => {
    const tasks = app.get(AheadTasks);
    const ahead = queue('ahead');
    const first = await ahead.enqueue('ahead', { label: 'x1', hold: true });
    await whenStarted(tasks, 'x1');
    const waiting = await ahead.enqueue('ahead', { label: 'x2' });
    const after = await ahead.enqueue('ahead', { label: 'x3' });
    await whenAll(ahead, [waiting, after], 'active');

    await ahead.abort(waiting.id);
    await whenAll(ahead, [waiting], 'aborted');
    tasks.release('x1');
    await whenAll(ahead, [first, after], 'complete');
    expect(tasks.labels()).not.toContain('x2');
  }, 30_000);

  it('sends back the jobs claimed ahead while its own ctx.rateLimit() pause lasts', async () => {
    const tasks = app.get(AheadTasks);
    const paced = queue('paced');
    const limiter = await paced.enqueue('paced', { label: 'p1', hold: true, limit: 1.5 });
    await whenStarted(tasks, 'p1');
    const held = [
      await paced.enqueue('paced', { label: 'p2' }),
      await paced.enqueue('paced', { label: 'p3' }),
    ];
    await whenAll(paced, held, 'active');

    tasks.release('p1');
    await whenAll(paced, [limiter, ...held], 'complete');
    // Claimed before the pause, p2 and p3 waited it out like the queued jobs of any process.
    const startOf = (label: string) => tasks.started.find((run) => run.label === label)!.at;
    for (const label of ['p2', 'p3']) {
      expect(startOf(label) - tasks.limitedAt).toBeGreaterThanOrEqual(1400);
    }
    expect((await paced.getJob(limiter.id))?.status).toBe('complete');
  }, 30_000);

  it('puts the jobs claimed ahead back on the queue at shutdown; another worker runs them', async () => {
    const first = await start(['handoff'], { shutdownGracePeriod: 10 });
    const tasks = first.get(AheadTasks);
    // Read from the application that stays up: the first one's connections close with it.
    const handoff = queue('handoff');
    const running = await handoff.enqueue('handoff', { label: 'h1', hold: true });
    await whenStarted(tasks, 'h1');
    const held = [
      await handoff.enqueue('handoff', { label: 'h2' }),
      await handoff.enqueue('handoff', { label: 'h3' }),
    ];
    await whenAll(handoff, held, 'active');

    const closing = first.close();
    // The running job may finish within the grace period; the two claimed ahead do not wait.
    await whenAll(handoff, held, 'queued');
    tasks.release('h1');
    await closing;
    expect(tasks.labels()).toEqual(['h1']);
    expect((await handoff.getJob(running.id))?.status).toBe('complete');

    const second = await start(['handoff']);
    await whenAll(handoff, held, 'complete');
    // Back in front of the queue on Redis; behind it on PostgreSQL (BullMQ's move back there).
    expect(second.get(AheadTasks).labels().sort()).toEqual(['h2', 'h3']);
  }, 45_000);
});
