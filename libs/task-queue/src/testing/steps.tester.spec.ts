import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  InvalidPayloadError,
  NonRetryableError,
  Task,
  TaskQueues,
  type TaskContext,
} from '../index.js';
import { createTaskContext, TaskQueueTester, TaskQueueTestingModule } from './index.js';

@Injectable()
class OrderTasks {
  charges = 0;

  @Task({ retries: 1 })
  async capture(ctx: TaskContext, { orderId }: { orderId: number }) {
    const charge = await ctx.step('charge', () => ({ id: `ch_${orderId}`, n: ++this.charges }));
    if (ctx.job.attempt === 1) throw new Error('receipt service down');
    await ctx.step('receipt', () => undefined);
    return charge;
  }
}

@Injectable()
class ReminderTasks {
  readonly sent: string[] = [];

  @Task()
  async remind(ctx: TaskContext, { days }: { days: number }) {
    await ctx.step('welcome', () => void this.sent.push('welcome'));
    await ctx.sleep(days * 86400);
    await ctx.step('reminder', () => void this.sent.push('reminder'));
    return ctx.job.attempt;
  }
}

@Injectable()
class SignupTasks {
  @Task()
  async onboard(ctx: TaskContext, { userId }: { userId: number }) {
    return ctx.waitForEvent('email.confirmed', { match: { userId }, timeout: 86400 });
  }

  @Task()
  async confirmOrder(ctx: TaskContext, { orderId }: { orderId: number }) {
    await ctx.step('reserve', () => orderId);
    const paid = await ctx.waitForEvent<{ at: Date }>('order.paid', {
      match: { orderId },
      timeout: 3600,
    });
    return ctx.step('ship', () => ({ paidAt: paid?.at }));
  }
}

/** Swallows its sleep's suspension and goes on: the step after it must not run meanwhile. */
@Injectable()
class SwallowingTasks {
  executions = 0;
  /** The execution in which the step after the sleep ran. */
  readonly ranIn: number[] = [];

  @Task()
  async swallow(ctx: TaskContext) {
    const execution = ++this.executions;
    await ctx.sleep(60).catch(() => undefined);
    await ctx.step('after', () => void this.ranIn.push(execution)).catch(() => undefined);
  }
}

@Module({ providers: [OrderTasks, ReminderTasks, SignupTasks, SwallowingTasks] })
class OrderModule {}

/** An application of the tasks above on the testing module, bootstrapped. */
async function boot(): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [TaskQueueTestingModule.forRoot(), OrderModule],
  }).compile();
  return moduleRef.init();
}

describe('durable steps under the testing module', () => {
  it('keeps step results across a retry, and lists the steps a job did', async () => {
    const moduleRef = await boot();
    const tester = moduleRef.get(TaskQueueTester);
    const { id } = await moduleRef
      .get(TaskQueues)
      .get('default')
      .enqueue('capture', { orderId: 7 });
    const [first, retry] = await tester.drain();
    expect(first).toMatchObject({ id, status: 'complete', result: { id: 'ch_7', n: 1 } });
    expect(retry).toBeUndefined();
    expect(moduleRef.get(OrderTasks).charges).toBe(1);
    const steps = tester.steps(id);
    expect(steps.map(({ id, result }) => ({ id, result }))).toEqual([
      { id: 'charge', result: { id: 'ch_7', n: 1 } },
      { id: 'receipt', result: undefined },
    ]);
    expect(steps.every((step) => step.at instanceof Date)).toBe(true);
    expect(first.steps.map((step) => step.id)).toEqual(['charge', 'receipt']);
    expect(() => tester.steps('404')).toThrow("no job with id '404'");
    await moduleRef.close();
  });
});

describe('ctx.sleep under the testing module', () => {
  it('runs sleeps at once in drain() and in apply, each step once, the job scheduled meanwhile', async () => {
    const moduleRef = await boot();
    const tester = moduleRef.get(TaskQueueTester);
    const queue = moduleRef.get(TaskQueues).get('default');
    const { id } = await queue.enqueue('remind', { days: 3 });
    const ran = await tester.drain();
    expect(ran.map((job) => [job.id, job.status])).toEqual([
      [id, 'scheduled'],
      [id, 'complete'],
    ]);
    expect(await queue.apply('remind', { days: 7 })).toBe(1);
    expect(moduleRef.get(ReminderTasks).sent).toEqual([
      'welcome',
      'reminder',
      'welcome',
      'reminder',
    ]);
    expect(tester.steps(id).map((step) => step.id)).toEqual(['welcome', 'reminder']);
    await moduleRef.close();
  });

  it('runs no step of a body that swallowed its suspension until the job resumes', async () => {
    const moduleRef = await boot();
    const tasks = moduleRef.get(SwallowingTasks);
    await moduleRef.get(TaskQueues).get('default').enqueue('swallow');
    const [suspended, resumed] = await moduleRef.get(TaskQueueTester).drain();
    expect(suspended.status).toBe('scheduled');
    expect(resumed.status).toBe('complete');
    expect(tasks.ranIn).toEqual([2]);
    await moduleRef.close();
  });

  it('records the sleeps of a context made by createTaskContext, over at once', async () => {
    const ctx = createTaskContext();
    expect(await new ReminderTasks().remind(ctx, { days: 2 })).toBe(1);
    expect(ctx.slept).toEqual([2 * 86400]);
    await expect(ctx.sleep(-1)).rejects.toThrow('0 or more');
  });
});

describe('ctx.waitForEvent under the testing module', () => {
  it('leaves a waiting job to sendEvent, which wakes the one it matches for drain()', async () => {
    const moduleRef = await boot();
    const tester = moduleRef.get(TaskQueueTester);
    const queues = moduleRef.get(TaskQueues);
    const { id } = await queues.get('default').enqueue('onboard', { userId: 4 });
    expect((await tester.drain()).map((job) => job.status)).toEqual(['scheduled']);
    expect(await tester.drain()).toEqual([]);
    expect(await queues.sendEvent('email.confirmed', { userId: 5 })).toBe(0);
    expect(await queues.sendEvent('email.confirmed', { userId: 4, ok: true })).toBe(1);
    const [job] = await tester.drain();
    expect(job).toMatchObject({ id, status: 'complete', result: { userId: 4, ok: true } });
    await moduleRef.close();
  });

  it('times a wait out in drain({ timeouts: true }): the job resumes with null', async () => {
    const moduleRef = await boot();
    const tester = moduleRef.get(TaskQueueTester);
    const queues = moduleRef.get(TaskQueues);
    const { id } = await queues.get('default').enqueue('onboard', { userId: 4 });
    expect((await tester.drain()).map((job) => job.status)).toEqual(['scheduled']);
    const [job] = await tester.drain({ timeouts: true });
    expect(job).toMatchObject({ id, status: 'complete', result: null });
    // Its waiter went with the timeout: a late event wakes nothing.
    expect(await queues.sendEvent('email.confirmed', { userId: 4 })).toBe(0);
    await moduleRef.close();
  });

  it("times a wait out in drain() once the kit's clock passes its timeout (another job's sleep)", async () => {
    const moduleRef = await boot();
    const tester = moduleRef.get(TaskQueueTester);
    const queue = moduleRef.get(TaskQueues).get('default');
    // Waits a day for its event; the other job sleeps two days.
    const waiting = await queue.enqueue('onboard', { userId: 4 });
    const sleeping = await queue.enqueue('remind', { days: 2 });
    const ran = await tester.drain();
    expect(ran.map((job) => [job.id, job.status])).toEqual([
      [waiting.id, 'scheduled'],
      [sleeping.id, 'scheduled'],
      [sleeping.id, 'complete'],
      [waiting.id, 'complete'],
    ]);
    expect(ran[3].result).toBeNull();
    await moduleRef.close();
  });

  it('lists the steps done before and after a wait in tester.steps()', async () => {
    const moduleRef = await boot();
    const tester = moduleRef.get(TaskQueueTester);
    const queues = moduleRef.get(TaskQueues);
    const { id } = await queues.get('default').enqueue('confirmOrder', { orderId: 8 });
    await tester.drain();
    expect(tester.steps(id).map(({ id, result }) => [id, result])).toEqual([['reserve', 8]]);
    expect(await queues.sendEvent('order.paid', { orderId: 8, at: new Date(0) })).toBe(1);
    const [job] = await tester.drain();
    expect(job.status).toBe('complete');
    // Results as stored, through JSON, as on a backend.
    expect(tester.steps(id).map(({ id, result }) => [id, result])).toEqual([
      ['reserve', 8],
      ['ship', { paidAt: '1970-01-01T00:00:00.000Z' }],
    ]);
    await moduleRef.close();
  });

  it('gives what createTaskContext was told for the event, else null', async () => {
    const tasks = new SignupTasks();
    const told = createTaskContext({ events: { 'email.confirmed': { userId: 1 } } });
    expect(await tasks.onboard(told, { userId: 1 })).toEqual({ userId: 1 });
    expect(await tasks.onboard(createTaskContext(), { userId: 1 })).toBeNull();
  });
});

describe('createTaskContext().step', () => {
  it('runs each step and records it; a step given as done returns its result unrun', async () => {
    const tasks = new OrderTasks();
    const ctx = createTaskContext({ attempt: 2 });
    expect(await tasks.capture(ctx, { orderId: 3 })).toEqual({ id: 'ch_3', n: 1 });
    expect(ctx.steps.map((step) => step.id)).toEqual(['charge', 'receipt']);

    const retry = createTaskContext({ attempt: 2, steps: { charge: { id: 'ch_9', n: 9 } } });
    expect(await tasks.capture(retry, { orderId: 3 })).toEqual({ id: 'ch_9', n: 9 });
    expect(tasks.charges).toBe(1);
    expect(retry.steps.map((step) => step.id)).toEqual(['receipt']);
  });

  it('returns and records the result as a worker stores it, through JSON', async () => {
    const ctx = createTaskContext();
    const at = new Date(0);
    expect(await ctx.step('charge', () => ({ at, n: 1 }))).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      n: 1,
    });
    const [step] = ctx.steps;
    expect([step.id, step.result, step.at instanceof Date]).toEqual([
      'charge',
      { at: '1970-01-01T00:00:00.000Z', n: 1 },
      true,
    ]);
  });

  it('refuses what a worker refuses: a duplicate id, a result that is not plain data', async () => {
    const ctx = createTaskContext();
    await ctx.step('a', () => 1);
    await expect(ctx.step('a', () => 2)).rejects.toThrow(NonRetryableError);
    await expect(ctx.step('b', () => new Set([1]))).rejects.toThrow(InvalidPayloadError);
    await expect(ctx.step('', () => 1)).rejects.toThrow('non-empty string id');
    expect(ctx.steps.map((step) => step.id)).toEqual(['a']);
  });
});
