import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { getQueueToken, InjectQueue } from '@nestjs/bullmq';
import { Test } from '@nestjs/testing';
import { Queue } from 'bullmq';
import {
  Task,
  TaskQueueConfigError,
  TaskQueueModule,
  TaskQueues,
  type TaskContext,
} from '../index.js';
import {
  overrideTaskQueueModule,
  TaskQueueTester,
  TaskQueueTestingModule,
} from '../testing/index.js';
import { noBullQueue } from './nest-bullmq.no-queue.js';

@Injectable()
class ReportsTasks {
  @Task('build_report')
  build(_ctx: TaskContext, payload: { id: number }) {
    return { built: payload.id };
  }
}

/** Enqueues through the module, and reads BullMQ's own API through `@InjectQueue`. */
@Injectable()
class ReportsService {
  constructor(
    private readonly taskQueues: TaskQueues,
    @InjectQueue('reports') readonly queue: Queue,
  ) {}

  request(id: number) {
    return this.taskQueues.get('reports').enqueue(ReportsTasks, 'build', { id });
  }

  waiting() {
    return this.queue.getJobs(['waiting']);
  }
}

@Module({ providers: [ReportsTasks, ReportsService] })
class ReportsModule {}

const appModule = (taskQueue: DynamicModule) => {
  @Module({ imports: [taskQueue, ReportsModule] })
  class AppModule {}
  return AppModule;
};

// Nothing listens on port 1: the test would fail if anything tried to connect.
const NOWHERE = 'redis://127.0.0.1:1';

/** What every use of the injected queue throws, with the way out it names. */
function expectNoBullQueue(queue: Queue, use: (queue: Queue) => unknown, member: string) {
  let thrown: unknown;
  try {
    use(queue);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TaskQueueConfigError);
  const { message } = thrown as Error;
  expect(message).toContain(`@InjectQueue('reports'): '${member}' needs a BullMQ queue`);
  expect(message).toContain("overrideProvider(getQueueToken('reports'))");
  expect(message).toContain('real backend');
}

describe('@InjectQueue() under the testing module', () => {
  const apps: [string, DynamicModule][] = [
    [
      'forRoot',
      TaskQueueModule.forRoot({
        connection: NOWHERE,
        queues: ['reports'],
        defaultQueue: 'reports',
      }),
    ],
    [
      'forRootAsync',
      TaskQueueModule.forRootAsync({
        queues: ['reports'],
        useFactory: () => ({ connection: NOWHERE, defaultQueue: 'reports' }),
      }),
    ],
  ];

  it.each(apps)(
    'an app with TaskQueueModule.%s compiles under overrideTaskQueueModule; the queue says it is not there',
    async (_form, taskQueueModule) => {
      const moduleRef = await overrideTaskQueueModule(
        Test.createTestingModule({ imports: [appModule(taskQueueModule)] }),
      ).compile();
      await moduleRef.init();
      const reports = moduleRef.get(ReportsService);

      // The module's own API works in memory, as without the injected queue.
      const { id } = await reports.request(7);
      const [job] = await moduleRef.get(TaskQueueTester).drain();
      expect(job).toMatchObject({ id, status: 'complete', result: { built: 7 } });

      // Each use of BullMQ's API says why it cannot work here and what to do.
      expectNoBullQueue(reports.queue, (queue) => queue.add('x', {}), 'add');
      expectNoBullQueue(reports.queue, () => reports.waiting(), 'getJobs');
      expectNoBullQueue(reports.queue, (queue) => queue.on('waiting', () => {}), 'on');
      expectNoBullQueue(reports.queue, (queue) => queue.name, 'name');
      // Not a promise: a factory or an `async` function may return it.
      expect(await Promise.resolve(reports.queue)).toBe(reports.queue);
      await moduleRef.close();
    },
  );

  it('TaskQueueTestingModule.forRoot() gives a token to each of its queues, `default` by default', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueTestingModule.forRoot({ queues: ['reports'], defaultQueue: 'reports' }),
        ReportsModule,
      ],
    }).compile();
    await moduleRef.init();
    expectNoBullQueue(moduleRef.get(ReportsService).queue, (queue) => queue.count(), 'count');
    await moduleRef.close();

    const byDefault = await Test.createTestingModule({
      imports: [TaskQueueTestingModule.forRoot()],
    }).compile();
    expect(() => byDefault.get<Queue>(getQueueToken('default')).close()).toThrow(
      TaskQueueConfigError,
    );
    expect(() => byDefault.get<Queue>(getQueueToken('reports'))).toThrow();
    await byDefault.close();
  });

  it('takes the value a test gives the token with overrideProvider(getQueueToken(name))', async () => {
    const added: unknown[] = [];
    const double = { add: (name: string, data: unknown) => added.push({ name, data }) };
    const moduleRef = await overrideTaskQueueModule(
      Test.createTestingModule({
        imports: [
          appModule(
            TaskQueueModule.forRoot({
              connection: NOWHERE,
              queues: ['reports'],
              defaultQueue: 'reports',
            }),
          ),
        ],
      })
        .overrideProvider(getQueueToken('reports'))
        .useValue(double),
    ).compile();
    await moduleRef.init();
    await moduleRef.get(ReportsService).queue.add('x', { n: 1 });
    expect(added).toEqual([{ name: 'x', data: { n: 1 } }]);
    await moduleRef.close();
  });

  it('refuses every field a real BullMQ Queue sets on itself, as well as its methods', async () => {
    // Made without connecting: lazily, to a port where nothing listens, never retried.
    const real = new Queue('probe', {
      connection: { host: '127.0.0.1', port: 1, lazyConnect: true, retryStrategy: () => null },
    });
    real.on('error', () => undefined);
    const emitterFields = new Set(Object.keys(new EventEmitter()));
    const fields = Object.keys(real).filter((key) => !emitterFields.has(key));
    await real.close();
    expect(fields.length).toBeGreaterThan(0);
    const standIn = noBullQueue('probe') as Record<string, unknown>;
    const allowed = fields.filter((field) => {
      try {
        void standIn[field];
        return true;
      } catch (error) {
        return !(error instanceof TaskQueueConfigError);
      }
    });
    expect(allowed).toEqual([]);
  });
});
