import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  InvalidOptionsError,
  Task,
  TaskQueues,
  UnknownQueueError,
  UnknownTaskError,
  type TaskContext,
  type TaskJobInfo,
} from '@app/task-queue';
import { countJobs, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

interface Leaf {
  n: number;
  fail?: boolean;
  /** Waits until the test releases it, or its signal aborts. */
  hold?: boolean;
}

@Injectable()
class FlowTasks {
  /** Runs started, as `<task>:<n or job id>`. */
  readonly started: string[] = [];
  /** Job id of each leaf that ran, by `n`. */
  readonly leafIds = new Map<number, string>();
  readonly abortedLeaves: number[] = [];
  release!: () => void;
  private held!: Promise<void>;

  constructor() {
    this.hold();
  }

  /** Holds the leaves with `hold: true` until {@link release}. */
  hold(): void {
    this.held = new Promise<void>((resolve) => (this.release = resolve));
  }

  @Task({ queue: 'reports' })
  async leaf(ctx: TaskContext, { n, fail, hold }: Leaf) {
    this.started.push(`leaf:${n}`);
    this.leafIds.set(n, ctx.job.id);
    if (hold) {
      const aborted = new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve()),
      );
      await Promise.race([this.held, aborted]);
      if (ctx.signal.aborted) {
        this.abortedLeaves.push(n);
        throw ctx.signal.reason;
      }
    }
    if (fail) throw new Error(`leaf ${n} broke`);
    return n * 10;
  }

  @Task({ queue: 'isolated' })
  async slot(ctx: TaskContext, payload: Leaf) {
    return this.leaf(ctx, payload);
  }

  /** A middle level: what its children gave. */
  @Task()
  async middle(ctx: TaskContext) {
    this.started.push(`middle:${ctx.job.id}`);
    return ctx.childResults<number>();
  }

  /** The root: its children's results, with its own mark. */
  @Task()
  async gather(ctx: TaskContext) {
    this.started.push(`gather:${ctx.job.id}`);
    return { children: await ctx.childResults() };
  }
}

@Module({ providers: [FlowTasks] })
class FlowModule {}

describe('TaskQueue.enqueueFlow', () => {
  const backend = testBackend('flows');
  let app: TestingModule;
  let taskQueues: TaskQueues;
  let tasks: FlowTasks;

  beforeAll(async () => {
    app = await startTaskApp({
      backend,
      imports: [FlowModule],
      options: { queues: { default: {}, reports: {}, isolated: { concurrency: 1 } } },
    });
    taskQueues = app.get(TaskQueues);
    tasks = app.get(FlowTasks);
  });

  afterAll(() => tasks?.release());

  const settled = (queue: string, id: string, what: string) =>
    eventually(
      async () => {
        const info = await taskQueues.get(queue).getJob(id);
        return info && !['queued', 'scheduled', 'active'].includes(info.status) ? info : undefined;
      },
      30_000,
      what,
    );

  it('runs a three-level flow across two queues, children first; each parent reads its children in order', async () => {
    const flow = await taskQueues.get('default').enqueueFlow({
      name: 'gather',
      children: [
        {
          name: 'middle',
          children: [
            // Held: it completes last, and is still read first.
            { name: 'leaf', queue: 'reports', payload: { n: 1, hold: true } },
            { name: 'leaf', queue: 'reports', payload: { n: 2 } },
          ],
        },
        { name: 'leaf', queue: 'reports', payload: { n: 3 } },
      ],
    });
    expect(flow).toMatchObject({ name: 'gather', queue: 'default' });
    expect(flow.id).toMatch(/^[\w-]+$/);
    await eventually(() => (tasks.leafIds.has(1) && tasks.leafIds.has(3) ? true : undefined));
    // Waiting for its children, the root reads as queued.
    expect((await taskQueues.get('default').getJob(flow.id))?.status).toBe('queued');
    tasks.release();
    const root = await settled('default', flow.id, 'the root');
    expect(root).toMatchObject({ status: 'complete', result: { children: [[10, 20], 30] } });
    expect(tasks.started.indexOf(`gather:${flow.id}`)).toBe(tasks.started.length - 1);
  }, 60_000);

  it('fails the parents of a leaf that fails for good with its error; the siblings complete; the root never runs', async () => {
    const flow = await taskQueues.get('default').enqueueFlow({
      name: 'gather',
      children: [
        {
          name: 'middle',
          children: [
            { name: 'leaf', queue: 'reports', payload: { n: 11 } },
            { name: 'leaf', queue: 'reports', payload: { n: 12, fail: true } },
          ],
        },
        { name: 'leaf', queue: 'reports', payload: { n: 13 } },
      ],
    });
    const root: TaskJobInfo = await settled('default', flow.id, 'the root');
    expect(root.status).toBe('failed');
    const failedLeaf = tasks.leafIds.get(12)!;
    expect(root.error).toMatch(
      new RegExp(
        `^child 'middle' \\(job [\\w-]+ on queue 'default'\\) failed: child 'leaf' ` +
          `\\(job ${failedLeaf} on queue 'reports'\\) failed: leaf 12 broke$`,
      ),
    );
    for (const [n, result] of [
      [11, 110],
      [13, 130],
    ]) {
      const sibling = await settled('reports', tasks.leafIds.get(n)!, `leaf ${n}`);
      expect(sibling).toMatchObject({ status: 'complete', result });
    }
    expect(await taskQueues.get('reports').getJob(failedLeaf)).toMatchObject({
      status: 'failed',
      error: 'leaf 12 broke',
    });
    expect(tasks.started.filter((run) => run.startsWith('gather:'))).not.toContain(
      `gather:${flow.id}`,
    );
    expect(tasks.started.filter((run) => run.startsWith('middle:'))).toHaveLength(1);
  }, 60_000);

  it('aborts the unfinished children with their parent, in whichever state they are', async () => {
    const isolated = taskQueues.get('isolated');
    tasks.hold();
    const flow = await taskQueues.get('default').enqueueFlow({
      name: 'gather',
      children: [
        { name: 'slot', queue: 'isolated', payload: { n: 21, hold: true } },
        { name: 'slot', queue: 'isolated', payload: { n: 22, hold: true } },
        {
          name: 'middle',
          children: [{ name: 'slot', queue: 'isolated', payload: { n: 23, hold: true } }],
        },
      ],
    });
    // One slot runs (concurrency 1) and holds; the others wait for it.
    const running = await eventually(() =>
      [21, 22, 23].find((n) => tasks.started.includes(`leaf:${n}`)),
    );
    expect(await taskQueues.get('default').abort(flow.id)).toBe(true);
    const root = await settled('default', flow.id, 'the root');
    expect(root.status).toBe('aborted');
    await eventually(async () => {
      const { counts } = await isolated.stats();
      return counts.queued + counts.active + counts.scheduled === 0 ? true : undefined;
    }, 30_000);
    expect((await isolated.stats()).counts.failed).toBe(3);
    // The running one saw its signal abort; the others never ran.
    expect(tasks.abortedLeaves).toEqual([running]);
    expect(tasks.started.filter((run) => /^leaf:2[123]$/.test(run))).toEqual([`leaf:${running}`]);
    expect(tasks.started).not.toContain(`gather:${flow.id}`);
  }, 60_000);

  it('checks every job of the tree before sending any, naming its place', async () => {
    const queue = taskQueues.get('default');
    const before = (await countJobs(app, 'default')) + (await countJobs(app, 'reports'));
    const leaf = { name: 'leaf', queue: 'reports', payload: { n: 1 } };
    const unknown = await queue
      .enqueueFlow({
        name: 'gather',
        children: [leaf, { name: 'middle', children: [{ name: 'leaf' }] }],
      })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(UnknownTaskError);
    expect((unknown as Error).message).toMatch(
      /^enqueueFlow: children\[1\]\.children\[0\]: Unknown task 'leaf' on queue 'default'\./,
    );
    await expect(
      queue.enqueueFlow({ name: 'gather', children: [leaf, { ...leaf, queue: 'nowhere' }] }),
    ).rejects.toThrow(UnknownQueueError);
    await expect(
      queue.enqueueFlow({ name: 'gather', children: [{ ...leaf, payload: { n: () => 1 } }] }),
    ).rejects.toThrow(/^enqueueFlow: children\[0\]: Task 'leaf': payload\.n/);
    await expect(
      queue.enqueueFlow({ name: 'gather', children: [{ ...leaf, options: { retries: -1 } }] }),
    ).rejects.toThrow(InvalidOptionsError);
    expect((await countJobs(app, 'default')) + (await countJobs(app, 'reports'))).toBe(before);
  });
});
