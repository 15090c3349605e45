// Scenario 4: the module on a Redis Cluster of three masters, with a hash-tag prefix.
import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  ScheduledTask,
  Task,
  TaskQueueConfigError,
  TaskQueueModule,
  TaskQueues,
  type TaskContext,
} from '@app/task-queue';
import {
  privateCluster,
  report,
  secondsSince,
  waitForAsync,
  type PrivateRedis,
} from './support.js';

const ticks: number[] = [];

@Injectable()
class ClusterTasks {
  @Task('double')
  async double(_ctx: TaskContext, payload: { n: number }) {
    return { doubled: payload.n * 2 };
  }

  @Task({ name: 'slow', timeout: 10 })
  async slow(_ctx: TaskContext, payload: { ms: number }) {
    await new Promise((resolve) => setTimeout(resolve, payload.ms));
    return 'slept';
  }

  @ScheduledTask({ name: 'every_second', cron: '* * * * * *' })
  async everySecond() {
    ticks.push(Date.now());
  }
}

describe('scenario 4: Redis Cluster', () => {
  let nodes: PrivateRedis[] = [];
  let app: TestingModule | undefined;

  beforeAll(async () => {
    nodes = await privateCluster();
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all(nodes.map((node) => node.destroy()));
  });

  const connection = () => ({
    cluster: { nodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })) },
  });

  it('refuses a prefix without a hash tag, saying why', () => {
    @Module({ imports: [TaskQueueModule.forRoot({ connection: connection(), prefix: 'bull' })] })
    class NoTagModule {}
    return expect(Test.createTestingModule({ imports: [NoTagModule] }).compile()).rejects.toThrow(
      new TaskQueueConfigError(
        `TaskQueueModule: prefix "bull" has no hash tag, which Redis Cluster needs: each ` +
          `queue's keys must share a slot for BullMQ's scripts. Use a prefix such as '{bull}' ` +
          `(the part in braces picks the slot).`,
      ),
    );
  });

  it('enqueues, processes, schedules, deduplicates and aborts with a hash-tag prefix', async () => {
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          connection: connection(),
          prefix: '{faults}',
          queues: ['default', 'other'],
        }),
      ],
      providers: [ClusterTasks],
    })
    class ClusterModule {}
    const started = Date.now();
    app = await Test.createTestingModule({ imports: [ClusterModule] })
      .setLogger({ log() {}, error() {}, warn() {} })
      .compile();
    await app.init();
    const queue = app.get(TaskQueues).get('default');

    expect(await queue.apply('double', { n: 21 }, { timeout: 20 })).toEqual({ doubled: 42 });
    const many = await queue.enqueueMany(
      Array.from({ length: 50 }, (_, n) => ({ name: 'double', payload: { n } })),
    );
    await waitForAsync(
      async () => (await queue.stats()).counts.complete >= 51,
      30_000,
      '51 jobs complete',
    );
    expect((await queue.getJob(many[49].id))?.result).toEqual({ doubled: 98 });

    const first = await queue.enqueue('slow', { ms: 2000 }, { key: 'once' });
    const second = await queue.enqueue('slow', { ms: 2000 }, { key: 'once' });
    expect(second.id).toBe(first.id);

    const delayed = await queue.enqueue('double', { n: 1 }, { delay: 60 });
    expect(await queue.abort(delayed.id)).toBe(true);
    await waitForAsync(
      async () => (await queue.getJob(delayed.id))?.status === 'aborted',
      10_000,
      'delayed job aborted',
    );

    await waitForAsync(async () => ticks.length >= 2, 15_000, 'two ticks of the schedule');
    await waitForAsync(
      async () => (await queue.getJob(first.id))?.status === 'complete',
      15_000,
      'the deduplicated job complete',
    );
    expect((await queue.schedules()).map((s) => s.name)).toEqual(['every_second']);
    const { counts, workers } = await queue.stats();
    report('4. Redis Cluster (3 masters, prefix {faults})', {
      masters: nodes.length,
      enqueued: 53, // plus one refused as a duplicate
      completed: counts.complete,
      // The aborted job counts as failed in stats(); anything more is a real failure.
      failed: counts.failed - 1,
      deduplicated: second.id === first.id,
      aborted: 1,
      scheduleTicks: ticks.length,
      workers,
      seconds: secondsSince(started),
    });
    expect(counts.failed).toBe(1);
    expect(counts.complete).toBeGreaterThanOrEqual(51 + 2);
  });
});
