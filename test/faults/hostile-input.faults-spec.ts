// Scenario 6: hostile payloads, names and cron strings. Each is a clear error, and nothing is
// half-enqueued.
import { Injectable, Module, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  InvalidPayloadError,
  ScheduledTask,
  Task,
  TaskDefinitionError,
  TaskQueueModule,
  TaskQueues,
  type TaskQueue,
} from '@app/task-queue';
import { privateRedis, report, type PrivateRedis } from './support.js';

@Injectable()
class InputTasks {
  @Task()
  async store(_ctx: unknown, payload: object) {
    return Object.keys(payload).length;
  }
}

/** The error an application with `provider` fails to boot with. */
async function bootError(url: string, provider: Type): Promise<Error> {
  @Module({
    imports: [TaskQueueModule.forRoot({ connection: url, worker: false })],
    providers: [provider],
  })
  class BadModule {}
  let app: TestingModule | undefined;
  try {
    app = await Test.createTestingModule({ imports: [BadModule] })
      .setLogger({ log() {}, error() {}, warn() {} })
      .compile();
    await app.init();
  } catch (error) {
    return error as Error;
  } finally {
    await app?.close();
  }
  throw new Error(`${provider.name} booted`);
}

describe('scenario 6: hostile input', () => {
  let redis: PrivateRedis;
  let app: TestingModule | undefined;
  let queue: TaskQueue;
  const refused = { payloads: 0, batches: 0, names: 0, crons: 0, jobsLeftInQueue: 0 };

  beforeAll(async () => {
    redis = await privateRedis();
    @Module({
      imports: [TaskQueueModule.forRoot({ connection: redis.url, worker: false })],
      providers: [InputTasks],
    })
    class InputModule {}
    app = await Test.createTestingModule({ imports: [InputModule] }).compile();
    await app.init();
    queue = app.get(TaskQueues).get('default');
  });

  afterAll(async () => {
    await app?.close();
    await redis?.destroy();
    report('6. hostile input (refused, each with its error)', refused);
  });

  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle.self = cycle;
  const payloads: [string, object, RegExp][] = [
    ['cycle', cycle, /payload\.self refers back to an enclosing object \(a cycle\)/],
    ['BigInt', { amount: 10n }, /payload\.amount is a BigInt; send it as a string/],
    ['function', { onDone: () => undefined }, /payload\.onDone is a function/],
    [
      '20 MB string',
      { blob: 'x'.repeat(20 * 1024 * 1024) },
      /the payload is 20971531 bytes of JSON, over the limit of 10485760 bytes/,
    ],
    [
      '__proto__ key',
      JSON.parse('{"user":{"__proto__":{"isAdmin":true}}}') as object,
      /payload\.user\.__proto__ is an own '__proto__' key/,
    ],
  ];

  it.each(payloads)(
    'refuses a payload with a %s, enqueueing nothing',
    async (_what, payload, message) => {
      const error = await queue.enqueue('store', payload).catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/^Task 'store': /);
      refused.payloads++;

      // One bad item refuses the whole batch, before anything is sent.
      const batch = [
        { name: 'store', payload: { fine: true } },
        { name: 'store', payload },
      ];
      await expect(queue.enqueueMany(batch)).rejects.toThrow(InvalidPayloadError);
      refused.batches++;
      const { counts } = await queue.stats();
      refused.jobsLeftInQueue = Object.values(counts).reduce((sum, n) => sum + n, 0);
      expect(refused.jobsLeftInQueue).toBe(0);
    },
  );

  it('takes a payload of plain data, and a lower maxPayloadBytes where configured', async () => {
    const job = await queue.enqueue('store', { a: 1, when: new Date(0), list: [null, 'x'] });
    expect((await queue.getJob(job.id))?.status).toBe('queued');

    @Module({
      imports: [
        TaskQueueModule.forRoot({ connection: redis.url, worker: false, maxPayloadBytes: 1000 }),
      ],
      providers: [InputTasks],
    })
    class SmallModule {}
    const small = await Test.createTestingModule({ imports: [SmallModule] }).compile();
    await small.init();
    try {
      await expect(
        small
          .get(TaskQueues)
          .get('default')
          .enqueue('store', { text: 'é'.repeat(600) }),
      ).rejects.toThrow(/the payload is 1211 bytes of JSON, over the limit of 1000 bytes/);
    } finally {
      await small.close();
    }
  });

  const names: [string, Type][] = [];
  for (const name of ['send:email', 'send email', '', 'x'.repeat(101)]) {
    @Injectable()
    class BadName {
      @Task(name)
      async run() {}
    }
    names.push([
      JSON.stringify(name.length > 20 ? `${name.slice(0, 5)}...(${name.length})` : name),
      BadName,
    ]);
  }

  it.each(names)(
    'fails the bootstrap on task name %s, naming the method',
    async (_what, provider) => {
      const error = await bootError(redis.url, provider);
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toMatch(/BadName\.run: task name .* is invalid\. Use 1 to 100 letters/);
      refused.names++;
    },
  );

  const crons: [string, Type][] = [];
  for (const cron of [
    '',
    '   ',
    'every day at noon',
    '61 * * * *',
    '* * * * * * * *',
    '*/0 * * * *',
    '9'.repeat(5000),
  ]) {
    @Injectable()
    class BadCron {
      @ScheduledTask({ name: 'tick', cron })
      async tick() {}
    }
    crons.push([
      JSON.stringify(cron.length > 20 ? `${cron.slice(0, 5)}...(${cron.length})` : cron),
      BadCron,
    ]);
  }

  it.each(crons)('fails the bootstrap on cron %s, naming the method', async (_what, provider) => {
    const error = await bootError(redis.url, provider);
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect(error.message).toMatch(/^BadCron\.tick: cron .* Use 5 fields/s);
    refused.crons++;
  });
});
