import { AssertionError } from 'node:assert';
import { jest } from '@jest/globals';
import { Inject, Injectable, Module, Scope } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import {
  InvalidOptionsError,
  InvalidPayloadError,
  NonRetryableError,
  ScheduledTask,
  Task,
  TASK_JOB,
  TaskFailedError,
  TaskQueues,
  UnknownTaskError,
  type OnTaskFailure,
  type OnTaskSuccess,
  type TaskContext,
} from '../index.js';
import { TaskQueueTester, TaskQueueTestingModule, type TaskQueueTestingMode } from './index.js';

/** A Standard Schema that wants `{ email: string }` containing '@'. */
const emailSchema: StandardSchemaV1<{ email: string }> = {
  '~standard': {
    version: 1,
    vendor: 'spec',
    validate: (value) => {
      const email = (value as { email?: unknown }).email;
      return typeof email === 'string' && email.includes('@')
        ? { value: { email } }
        : { issues: [{ message: 'not an email', path: ['email'] }] };
    },
  },
};

/** Per-job: what each job's hooks heard, by job id. */
const outcomes = new Map<string, string>();

@Injectable({ scope: Scope.REQUEST })
class JobAudit implements OnTaskSuccess, OnTaskFailure {
  constructor(@Inject(TASK_JOB) private readonly job: { id: string; name: string }) {}

  onTaskSuccess(result: unknown) {
    outcomes.set(this.job.id, `success ${JSON.stringify(result)}`);
  }

  onTaskFailure(error: unknown) {
    outcomes.set(this.job.id, `failure ${(error as Error).message}`);
  }
}

@Injectable()
class Tasks {
  flaky = 0;

  constructor(private readonly taskQueues: TaskQueues) {}

  @Task('signup')
  async signup(
    _ctx: TaskContext,
    payload: { userId: number; plan?: { tier: string } },
  ): Promise<{ welcomeJob: string }> {
    const emails = this.taskQueues.get('emails');
    const welcome = await emails.enqueue(Tasks, 'welcome', { userId: payload.userId });
    return { welcomeJob: welcome.id };
  }

  @Task({ name: 'welcome', queue: 'emails' })
  async welcome(_ctx: TaskContext, payload: { userId: number }) {
    return { sent: `user${payload.userId}@example.com` };
  }

  @Task({ name: 'email', schema: emailSchema })
  async email(_ctx: TaskContext, payload: { email: string }) {
    return payload.email;
  }

  @Task({ name: 'flaky', retries: 2, retryDelay: 60 })
  async flakyTask(ctx: TaskContext) {
    this.flaky += 1;
    if (ctx.job.attempt < 3) throw new Error(`attempt ${ctx.job.attempt} failed`);
    return ctx.job.attempt;
  }

  @Task({ name: 'slow', timeout: 0.05, retryOnTimeout: false })
  async slow(ctx: TaskContext) {
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
  }

  @Task('audited')
  async audited(ctx: TaskContext, payload: { fail?: boolean }, audit: JobAudit) {
    if (payload.fail) throw new NonRetryableError('refused');
    return { audit: audit instanceof JobAudit, job: ctx.job.id };
  }

  @ScheduledTask({ name: 'weekly_report', cron: '0 8 * * 1', kwargs: { scope: 'all' } })
  async weeklyReport(_ctx: TaskContext, payload: { scope: string }) {
    return { reported: payload.scope };
  }
}

@Module({ providers: [Tasks, JobAudit] })
class TasksModule {}

/** What jest's fake timers leave real when only `setTimeout` is to be faked. */
const NOT_TIMEOUTS = [
  'Date',
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
] as const;

describe('TaskQueueTester', () => {
  let moduleRef: TestingModule;
  let tester: TaskQueueTester;
  let queues: TaskQueues;

  async function boot(mode?: TaskQueueTestingMode) {
    moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueTestingModule.forRoot({ queues: ['default', 'emails'], mode }),
        TasksModule,
      ],
    }).compile();
    await moduleRef.init();
    tester = moduleRef.get(TaskQueueTester);
    queues = moduleRef.get(TaskQueues);
  }

  afterEach(() => moduleRef?.close());

  it('leaves no timer behind once closed, though its jobs ran with a timeout', async () => {
    // Only timeouts are faked, to count them; the runs' clock and the rest stay real.
    jest.useFakeTimers({ doNotFake: [...NOT_TIMEOUTS] });
    try {
      await boot();
      const before = jest.getTimerCount();
      await queues.get('default').enqueue('signup', { userId: 1 });
      await tester.drain();
      // The runs' shared timeout timer stays set (unref'd) for the last deadline it was given...
      expect(jest.getTimerCount()).toBe(before + 1);
      await moduleRef.close();
      // ...until the application closes.
      expect(jest.getTimerCount()).toBe(before);
    } finally {
      jest.useRealTimers();
    }
  });

  describe("mode 'manual'", () => {
    beforeEach(() => boot());

    it('records a job enqueued in a transaction at once, without its transaction', async () => {
      const transaction = { query: async () => ({ rows: [] }) };
      const queue = queues.get('default');
      const { id } = await queue.enqueue('signup', { userId: 3 }, { transaction, delay: 5 });
      const [many] = await queue.enqueueMany([{ name: 'signup', payload: { userId: 4 } }], {
        transaction,
      });
      expect(tester.enqueued()).toEqual([
        { id, name: 'signup', queue: 'default', payload: { userId: 3 }, options: { delay: 5 } },
        { id: many.id, name: 'signup', queue: 'default', payload: { userId: 4 }, options: {} },
      ]);
      await expect(
        queue.enqueue('signup', { userId: 5 }, { transaction: {} as typeof transaction }),
      ).rejects.toThrow(InvalidOptionsError);
    });

    it('records a job without running it, and drain() runs it and the jobs it enqueues', async () => {
      const { id } = await queues.get('default').enqueue('signup', { userId: 7 });
      expect((await queues.get('default').getJob(id))?.status).toBe('queued');
      tester.assertNotEnqueued('welcome');

      const ran = await tester.drain();

      expect(ran.map((job) => [job.name, job.status, job.result])).toEqual([
        ['signup', 'complete', { welcomeJob: '1' }],
        ['welcome', 'complete', { sent: 'user7@example.com' }],
      ]);
      expect(tester.enqueued()).toEqual([
        { id, name: 'signup', queue: 'default', payload: { userId: 7 }, options: {} },
        { id: '1', name: 'welcome', queue: 'emails', payload: { userId: 7 }, options: {} },
      ]);
      expect(await queues.get('emails').getJob('1')).toMatchObject({
        status: 'complete',
        result: { sent: 'user7@example.com' },
        attempts: 1,
      });
      expect(await tester.drain()).toEqual([]);
    });

    it('runs delayed jobs in drain() without waiting, after the queued ones', async () => {
      await queues.get('default').enqueue('email', { email: 'late@x' }, { delay: 3600 });
      await queues.get('default').enqueue('email', { email: 'now@x' });
      expect((await queues.get('default').stats()).counts).toMatchObject({
        queued: 1,
        scheduled: 1,
      });
      expect((await tester.drain()).map((job) => job.result)).toEqual(['now@x', 'late@x']);
    });

    it('apply() runs the job at once and gives its result, or rejects as in production', async () => {
      await expect(queues.get('default').apply(Tasks, 'email', { email: 'a@b' })).resolves.toBe(
        'a@b',
      );
      const failing = queues.get('default').apply('audited', { fail: true });
      await expect(failing).rejects.toThrow(TaskFailedError);
      await expect(failing).rejects.toThrow("Task 'audited' (job 2) failed: refused");
    });

    it('checks every enqueue as TaskQueues does in production', async () => {
      const queue = queues.get('default');
      await expect(queue.enqueue('nope')).rejects.toThrow(UnknownTaskError);
      await expect(queue.enqueue('signup', { userId: 1, at: new Map() })).rejects.toThrow(
        InvalidPayloadError,
      );
      await expect(queue.enqueue('email', { email: 'no-at-sign' })).rejects.toThrow(
        'email: not an email',
      );
      await expect(queue.enqueue('signup', { userId: 1 }, { retries: -1 })).rejects.toThrow(
        InvalidOptionsError,
      );
      await expect(queues.get('emails').enqueue(Tasks, 'signup', { userId: 1 })).rejects.toThrow(
        UnknownTaskError,
      );
      expect(tester.enqueued()).toEqual([]);
    });

    it('returns the unfinished job of the same key instead of a new one', async () => {
      const queue = queues.get('default');
      const first = await queue.enqueue('signup', { userId: 1 }, { key: 'user-1' });
      const again = await queue.enqueue('signup', { userId: 1 }, { key: 'user-1' });
      expect(again.id).toBe(first.id);
      await tester.drain();
      const after = await queue.enqueue('signup', { userId: 1 }, { key: 'user-1' });
      expect(after.id).not.toBe(first.id);
    });

    it('retries a failing job as a worker does, without waiting for the retry delay', async () => {
      const { id } = await queues.get('default').enqueue('flaky');
      const [job] = await tester.drain();
      expect(job).toMatchObject({ id, status: 'complete', result: 3, attempts: 3 });
      expect(moduleRef.get(Tasks).flaky).toBe(3);
    });

    it('reads a job that completed after failed attempts as a backend does', async () => {
      const { id } = await queues.get('default').enqueue('flaky');
      await tester.drain();
      const job = await queues.get('default').getJob(id);
      expect(job).toMatchObject({ status: 'complete', error: null, attempts: 3 });
      expect(job?.failedAttempts).toEqual([
        { attempt: 1, error: 'attempt 1 failed' },
        { attempt: 2, error: 'attempt 2 failed' },
      ]);
    });

    it('lists the last failure of a job that failed for good among its failed attempts', async () => {
      const { id } = await queues.get('default').enqueue('audited', { fail: true });
      await tester.drain();
      expect(await queues.get('default').getJob(id)).toMatchObject({
        status: 'failed',
        error: 'refused',
        failedAttempts: [{ attempt: 1, error: 'refused' }],
      });
    });

    it('times a run out as a worker does', async () => {
      await queues.get('default').enqueue('slow');
      const [job] = await tester.drain();
      expect(job.status).toBe('failed');
      expect(job.error).toMatch(/timed out after 0.05 s/);
    });

    it('makes per-job providers for each job and calls their success and failure hooks', async () => {
      const ok = await queues.get('default').enqueue('audited', {});
      const ko = await queues.get('default').enqueue('audited', { fail: true });
      await tester.drain();
      expect(outcomes.get(ok.id)).toBe(`success {"audit":true,"job":"${ok.id}"}`);
      expect(outcomes.get(ko.id)).toBe('failure refused');
      expect((await queues.get('default').getJob(ko.id))?.status).toBe('failed');
    });

    it('aborts a job that has not run: it never runs', async () => {
      const { id } = await queues.get('default').enqueue('signup', { userId: 3 });
      expect(await queues.get('default').abort(id)).toBe(true);
      expect(await tester.drain()).toEqual([]);
      // As a backend reads it once a worker has taken it: one attempt, failed with the abort.
      expect(await queues.get('default').getJob(id)).toMatchObject({
        status: 'aborted',
        error: 'Aborted by TaskQueue.abort()',
        attempts: 1,
        failedAttempts: [{ attempt: 1, error: 'Aborted by TaskQueue.abort()' }],
      });
      expect(await queues.get('default').abort(id)).toBe(false);
    });

    it('runSchedule() runs one tick of a scheduled task with its kwargs', async () => {
      const job = await tester.runSchedule('weekly_report');
      expect(job).toMatchObject({ status: 'complete', result: { reported: 'all' } });
      tester.assertEnqueued('weekly_report', { scope: 'all' });
      expect(() => tester.runSchedule('signup')).toThrow(/Scheduled tasks: 'weekly_report'/);
      const [schedule] = await queues.get('default').schedules();
      expect(schedule).toMatchObject({ name: 'weekly_report', cron: '0 8 * * 1', timeZone: 'UTC' });
    });

    it('keeps runtime schedules: schedules() lists them, runSchedule(id) runs one tick', async () => {
      const queue = queues.get('default');
      const id = await queue.schedule('signup', { every: 60, payload: { userId: 7 }, id: 'x' });
      expect(id).toBe('task-queue-runtime:x');
      expect((await queue.schedules()).map(({ id, source }) => [id, source])).toEqual([
        ['task-queue-runtime:x', 'runtime'],
        ['task-queue:weekly_report', 'decorator'],
      ]);
      expect(await tester.runSchedule(id)).toMatchObject({ name: 'signup', status: 'complete' });
      tester.assertEnqueued('signup', { userId: 7 });
      expect(await queue.unschedule(id)).toBe(true);
      expect(() => tester.runSchedule(id)).toThrow(/nor runtime schedule of that id/);
    });

    it('clear() forgets every job', async () => {
      await queues.get('default').enqueue('signup', { userId: 1 });
      tester.clear();
      expect(tester.enqueued()).toEqual([]);
      expect(await tester.drain()).toEqual([]);
    });
  });

  describe("mode 'inline'", () => {
    beforeEach(() => boot('inline'));

    it('runs each job, and those it enqueues, before enqueue returns', async () => {
      const { id } = await queues.get('default').enqueue('signup', { userId: 2 });
      expect(await queues.get('default').getJob(id)).toMatchObject({
        status: 'complete',
        result: { welcomeJob: '1' },
      });
      expect((await queues.get('emails').getJob('1'))?.status).toBe('complete');
      expect(await tester.drain()).toEqual([]);
      tester.assertEnqueued(Tasks, 'welcome', { userId: 2 });
    });
  });

  describe('assertions', () => {
    beforeEach(() => boot());

    it('match the payload as a deep subset, by name or by class and method', async () => {
      await queues.get('default').enqueue('signup', { userId: 1, plan: { tier: 'pro' } });
      expect(tester.assertEnqueued('signup').id).toBe('1');
      tester.assertEnqueued('signup', { plan: { tier: 'pro' } });
      tester.assertEnqueued(Tasks, 'signup', { plan: { tier: 'pro' } });
      tester.assertNotEnqueued(Tasks, 'signup', { userId: 2 });
      tester.assertNotEnqueued(Tasks, 'welcome');
    });

    it('fail with every job enqueued since the last clear()', async () => {
      await queues.get('default').enqueue('signup', { userId: 1 });
      await queues.get('default').enqueue('email', { email: 'a@b' }, { delay: 5 });
      let failure: unknown;
      try {
        tester.assertEnqueued(Tasks, 'signup', { userId: 2 });
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(AssertionError);
      expect((failure as Error).message).toBe(
        'Expected a job of Tasks.signup (\'signup\') with a payload matching {"userId":2} to ' +
          'have been enqueued, but it was not. Jobs enqueued since the last clear():\n' +
          "  - 'signup' on 'default' (job 1): payload {\"userId\":1}\n" +
          '  - \'email\' on \'default\' (job 2): payload {"email":"a@b"}, options {"delay":5}',
      );
      expect(() => tester.assertNotEnqueued('signup')).toThrow(
        /Expected a job of 'signup' not to have been enqueued, but it was/,
      );
      tester.clear();
      expect(() => tester.assertEnqueued('signup')).toThrow(/clear\(\): none\.$/);
      expect(() => tester.assertEnqueued(TasksModule as never, 'x' as never)).toThrow(
        UnknownTaskError,
      );
    });

    it('type-check the payload of the class-and-method form', () => {
      // Compile-time checks: each line below must be rejected by tsc, or the directive fails.
      const typed = () => {
        // @ts-expect-error userId is a number
        tester.assertEnqueued(Tasks, 'signup', { userId: '1' });
        // @ts-expect-error no such field, even deep down
        tester.assertEnqueued(Tasks, 'signup', { plan: { level: 'pro' } });
        // @ts-expect-error not a task method
        tester.assertEnqueued(Tasks, 'flaky');
        // @ts-expect-error payload of another task
        tester.assertNotEnqueued(Tasks, 'welcome', { email: 'a@b' });
      };
      expect(typed).toBeInstanceOf(Function);
    });
  });
});
