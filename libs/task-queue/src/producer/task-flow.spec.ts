import {
  InvalidOptionsError,
  InvalidPayloadError,
  UnknownQueueError,
  UnknownTaskError,
} from '../errors/index.js';
import type { TaskFlow } from '../interfaces/task-flow.interface.js';
import { toFlowJob } from '../backends/bullmq.job-options.js';
import { flowSize, prepareFlow, type FlowLookup } from './task-flow.js';

/** Two queues: `a` has tasks `root` and `mid`, `b` has `leaf`. */
const TASKS: Record<string, string[]> = { a: ['root', 'mid'], b: ['leaf'] };
const lookups: FlowLookup = {
  lookupOf: (queue) => {
    const names = TASKS[queue];
    if (!names) throw new UnknownQueueError(`Unknown queue '${queue}'.`);
    return {
      tasks: {
        get: (name) => (names.includes(name) ? { jobOptions: { attempts: 1 } } : undefined),
        keys: () => names,
      },
      maxPayloadBytes: 1000,
    };
  },
};

const leaf = (n: number): TaskFlow => ({ name: 'leaf', queue: 'b', payload: { n } });
const tree: TaskFlow = {
  name: 'root',
  payload: { day: '2026-11-30' },
  children: [{ name: 'mid', children: [leaf(1), leaf(2)] }, leaf(3)],
};

async function problem(flow: TaskFlow): Promise<Error> {
  return prepareFlow(lookups, 'a', flow).then(
    () => {
      throw new Error('expected the flow to be refused');
    },
    (error: Error) => error,
  );
}

describe('prepareFlow', () => {
  it('gives every job an id, each child its parent-failing option, each parent its children in order', async () => {
    const root = await prepareFlow(lookups, 'a', tree);
    const [mid, third] = root.children;
    expect([root.queue, mid.queue, mid.children[0].queue, third.queue]).toEqual([
      'a',
      'a',
      'b',
      'b',
    ]);
    const ids = [root, mid, ...mid.children, third].map(({ id }) => id);
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(root.job.opts).toEqual({
      attempts: 1,
      jobId: root.id,
      taskChildren: [`a:${mid.id}`, `b:${third.id}`],
    });
    expect(mid.job.opts.failParentOnFailure).toBe(true);
    expect(mid.job.opts.taskChildren).toEqual(mid.children.map(({ id }) => `b:${id}`));
    expect(third.job.opts).toEqual({ attempts: 1, jobId: third.id, failParentOnFailure: true });
    expect(root.job.data).toEqual({ day: '2026-11-30' });
    expect(third.job.data).toEqual({ n: 3 });
  });

  it("turns into BullMQ's flow tree, queue by queue", async () => {
    const flow = toFlowJob(await prepareFlow(lookups, 'a', tree));
    expect(flow.queueName).toBe('a');
    expect(flow.children?.map((child) => [child.name, child.queueName])).toEqual([
      ['mid', 'a'],
      ['leaf', 'b'],
    ]);
    expect(flow.children?.[0].children?.map((child): unknown => child.data)).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
    expect(flow.children?.[1].children).toBeUndefined();
  });

  it("passes every job's options through the given function, and counts the jobs", async () => {
    const prepared = await prepareFlow(lookups, 'a', tree);
    expect(flowSize(prepared)).toBe(5);
    const flow = toFlowJob(prepared, (opts) => ({ ...opts, telemetry: { metadata: 'ctx' } }));
    const nodes = [flow, ...flow.children!, ...flow.children![0].children!];
    expect(nodes).toHaveLength(5);
    // Each keeps its own options (its id), with what the function added.
    expect(new Set(nodes.map((node) => node.opts?.jobId)).size).toBe(5);
    for (const node of nodes) expect(node.opts?.telemetry).toEqual({ metadata: 'ctx' });
  });

  it('names the place in the tree of an unknown task, with the usual error class', async () => {
    const error = await problem({
      name: 'root',
      children: [leaf(1), { name: 'mid', children: [{ name: 'leaf' }] }],
    });
    expect(error).toBeInstanceOf(UnknownTaskError);
    expect(error.message).toMatch(
      /^enqueueFlow: children\[1\]\.children\[0\]: Unknown task 'leaf' on queue 'a'\./,
    );
    expect(await problem({ name: 'nope' })).toMatchObject({
      message: expect.stringMatching(/^enqueueFlow: the root job: Unknown task 'nope'/) as unknown,
    });
  });

  it('names the place of an unknown queue, a bad payload and a bad option', async () => {
    const queue = await problem({ name: 'root', children: [{ ...leaf(1), queue: 'c' }] });
    expect(queue).toBeInstanceOf(UnknownQueueError);
    expect(queue.message).toBe("enqueueFlow: children[0]: Unknown queue 'c'.");
    const payload = await problem({ name: 'root', children: [{ ...leaf(1), payload: { n: 1n } }] });
    expect(payload).toBeInstanceOf(InvalidPayloadError);
    expect(payload.message).toMatch(/^enqueueFlow: children\[0\]: Task 'leaf': payload\.n/);
    const option = await problem({
      name: 'root',
      children: [{ ...leaf(1), options: { retries: 1.5 } }],
    });
    expect(option).toBeInstanceOf(InvalidOptionsError);
    expect(option.message).toMatch(
      /^enqueueFlow: children\[0\]: Task 'leaf': enqueue option 'retries'/,
    );
  });

  it('refuses what a flow cannot be: a key, an unknown field, children not a list, a cycle, a non-object', async () => {
    const key = await problem({ name: 'root', options: { key: 'k' } as never });
    expect(key).toBeInstanceOf(InvalidOptionsError);
    expect(key.message).toMatch(/the root job \(task 'root'\) sets option 'key'/);
    const typo = await problem({ name: 'root', childs: [] } as never);
    expect(typo.message).toBe(
      "enqueueFlow: the root job has an unknown field 'childs'. A job of a flow takes name, payload, queue, options and children.",
    );
    expect((await problem({ name: 'root', children: leaf(1) as never })).message).toMatch(
      /the root job: children is .*; expected an array of jobs/,
    );
    const looped: TaskFlow = { name: 'mid', children: [] };
    looped.children!.push({ name: 'mid', children: [looped] });
    expect((await problem(looped)).message).toMatch(
      /^enqueueFlow: children\[0\]\.children\[0\] is one of its own ancestors/,
    );
    expect((await problem({ name: 'root', children: [null as never] })).message).toMatch(
      /^enqueueFlow: children\[0\] is null; expected a job/,
    );
    // The same object twice side by side is not a cycle.
    const shared = leaf(4);
    await expect(
      prepareFlow(lookups, 'a', { name: 'root', children: [shared, shared] }),
    ).resolves.toBeDefined();
  });
});
