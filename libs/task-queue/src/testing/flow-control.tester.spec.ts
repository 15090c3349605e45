import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Task, TaskFailedError, TaskQueues, type TaskContext } from '../index.js';
import {
  createTaskContext,
  TaskQueueTester,
  TaskQueueTestingModule,
  type TaskQueueTestingMode,
} from './index.js';

@Injectable()
class ReportTasks {
  readonly ran: string[] = [];

  @Task({ queue: 'customers' })
  async customerReport(_ctx: TaskContext, { customer }: { customer: string; fail?: boolean }) {
    this.ran.push(customer);
    if (customer === 'broken') throw new Error(`no data for ${customer}`);
    return { customer, total: customer.length };
  }

  @Task()
  async nightlyReport(ctx: TaskContext) {
    this.ran.push('nightly');
    return ctx.childResults<{ customer: string; total: number }>();
  }

  @Task()
  async double(_ctx: TaskContext, { n }: { n: number }) {
    if (n < 0) throw new Error(`negative ${n}`);
    return n * 2;
  }
}

@Module({ providers: [ReportTasks] })
class ReportModule {}

const nightly = (...customers: string[]) => ({
  name: 'nightlyReport',
  payload: { day: '2026-11-30' },
  children: customers.map((customer) => ({
    name: 'customerReport',
    queue: 'customers',
    payload: { customer },
  })),
});

describe('map and enqueueFlow under the testing module', () => {
  let moduleRef: TestingModule;
  let queues: TaskQueues;
  let tester: TaskQueueTester;
  let tasks: ReportTasks;

  async function boot(mode: TaskQueueTestingMode = 'manual') {
    moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueTestingModule.forRoot({ queues: ['default', 'customers'], mode }),
        ReportModule,
      ],
    }).compile();
    await moduleRef.init();
    queues = moduleRef.get(TaskQueues);
    tester = moduleRef.get(TaskQueueTester);
    tasks = moduleRef.get(ReportTasks);
  }

  afterEach(() => moduleRef?.close());

  it('map runs every payload at once and gives the results in order', async () => {
    await boot();
    await expect(
      queues.get('default').map('double', [{ n: 1 }, { n: 2 }, { n: 3 }]),
    ).resolves.toEqual([2, 4, 6]);
    await expect(queues.get('default').map(ReportTasks, 'double', [{ n: 4 }])).resolves.toEqual([
      8,
    ]);
    expect(tester.enqueued({ name: 'double' })).toHaveLength(4);
  });

  it('map rejects with the first failure, or puts each failure in its place', async () => {
    await boot();
    const queue = queues.get('default');
    await expect(queue.map('double', [{ n: 1 }, { n: -1 }])).rejects.toThrow(TaskFailedError);
    const results = await queue.map('double', [{ n: -2 }, { n: 5 }], { returnExceptions: true });
    expect(results[0]).toBeInstanceOf(TaskFailedError);
    expect((results[0] as Error).message).toContain('negative -2');
    expect(results[1]).toBe(10);
  });

  it('drain() runs the children before their parent, which reads their results in order', async () => {
    await boot();
    const root = await queues.get('default').enqueueFlow(nightly('acme', 'globex', 'initech'));
    expect((await queues.get('default').getJob(root.id))?.status).toBe('queued');
    expect(tester.enqueued().map(({ name, queue }) => `${queue}/${name}`)).toEqual([
      'customers/customerReport',
      'customers/customerReport',
      'customers/customerReport',
      'default/nightlyReport',
    ]);
    tester.assertEnqueued('customerReport', { customer: 'globex' });
    await tester.drain();
    expect(tasks.ran).toEqual(['acme', 'globex', 'initech', 'nightly']);
    expect(await queues.get('default').getJob(root.id)).toMatchObject({
      status: 'complete',
      result: [
        { customer: 'acme', total: 4 },
        { customer: 'globex', total: 6 },
        { customer: 'initech', total: 7 },
      ],
    });
  });

  it('a child that fails fails its parent with its error; the parent never runs', async () => {
    await boot('inline');
    const root = await queues.get('default').enqueueFlow(nightly('acme', 'broken'));
    expect(tasks.ran).toEqual(['acme', 'broken']);
    const [, broken] = tester.enqueued({ name: 'customerReport' });
    expect(await queues.get('default').getJob(root.id)).toMatchObject({
      status: 'failed',
      error: `child 'customerReport' (job ${broken.id} on queue 'customers') failed: no data for broken`,
    });
  });

  it('abort() of a parent aborts its unfinished children', async () => {
    await boot();
    const root = await queues.get('default').enqueueFlow(nightly('acme', 'globex'));
    expect(await queues.get('default').abort(root.id)).toBe(true);
    await tester.drain();
    expect(tasks.ran).toEqual([]);
    for (const { id } of tester.enqueued({ queue: 'customers' })) {
      expect((await queues.get('customers').getJob(id))?.status).toBe('aborted');
    }
    expect((await queues.get('default').getJob(root.id))?.status).toBe('aborted');
  });

  it("takes the application's queue settings as they are, and runs the jobs in drain()", async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueTestingModule.forRoot({
          queues: {
            default: { concurrency: 4, prefetch: 40 },
            customers: { concurrency: 2, rateLimit: { max: 1, per: 60 } },
          },
        }),
        ReportModule,
      ],
    }).compile();
    await moduleRef.init();
    const queue = moduleRef.get(TaskQueues).get('default');
    await queue.enqueue('double', { n: 1 });
    await queue.enqueue('double', { n: 2 });
    const done = await moduleRef.get(TaskQueueTester).drain();
    expect(done.map((job) => job.result)).toEqual([2, 4]);
  });

  it('createTaskContext gives the childResults it was told', async () => {
    const children = [{ customer: 'acme', total: 4 }];
    const ctx = createTaskContext({ childResults: children });
    await expect(new ReportTasks().nightlyReport(ctx)).resolves.toEqual(children);
    await expect(createTaskContext().childResults()).resolves.toEqual([]);
  });
});
