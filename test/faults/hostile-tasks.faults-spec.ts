// Scenario 5: tasks that misbehave. Each job ends in a defined state; the worker keeps running.
import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Task, TaskQueueModule, TaskQueues, type TaskJobInfo } from '@app/task-queue';
import { privateRedis, report, waitForAsync, type PrivateRedis } from './support.js';

const FIVE_MB = 5 * 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
class HostileTasks {
  @Task()
  async throwsString() {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the hostile case itself
    throw 'not an Error';
  }

  @Task()
  async returnsUndefined() {
    return undefined;
  }

  @Task()
  async bigResult() {
    return 'x'.repeat(FIVE_MB);
  }

  @Task({ timeout: 0.5 })
  async neverSettles() {
    return new Promise(() => undefined);
  }

  @Task({ timeout: 0.3 })
  async rejectsLate() {
    await sleep(800);
    throw new Error('rejected after the timeout');
  }

  @Task()
  async ok() {
    return 'still working';
  }
}

describe('scenario 5: hostile task behaviour', () => {
  let redis: PrivateRedis;
  let app: TestingModule | undefined;
  const warnings: string[] = [];

  beforeAll(async () => {
    redis = await privateRedis();
  });

  afterAll(async () => {
    await app?.close();
    await redis?.destroy();
  });

  it('ends each job in a defined state and keeps the worker running', async () => {
    @Module({
      imports: [
        TaskQueueModule.forRoot({ connection: redis.url, queues: { default: { concurrency: 3 } } }),
      ],
      providers: [HostileTasks],
    })
    class HostileModule {}
    app = await Test.createTestingModule({ imports: [HostileModule] })
      .setLogger({
        log() {},
        error() {},
        warn: (message: string) => warnings.push(String(message)),
      })
      .compile();
    await app.init();
    const queue = app.get(TaskQueues).get('default');

    const names = ['throwsString', 'returnsUndefined', 'bigResult', 'neverSettles', 'rejectsLate'];
    const ids = await Promise.all(names.map(async (name) => (await queue.enqueue(name)).id));
    const finished = async (id: string) => {
      let info: TaskJobInfo | undefined;
      await waitForAsync(
        async () => ['complete', 'failed'].includes((info = await queue.getJob(id))?.status ?? ''),
        20_000,
        `job ${id} finished`,
      );
      return info!;
    };
    const [thrown, undef, big, hung, late] = await Promise.all(ids.map(finished));

    expect(thrown).toMatchObject({
      status: 'failed',
      error: 'Task threw a non-Error value: "not an Error"',
    });
    expect(undef).toMatchObject({ status: 'complete', result: null });
    expect(big.status).toBe('complete');
    expect((big.result as string).length).toBe(FIVE_MB);
    expect(hung.status).toBe('failed');
    expect(hung.error).toMatch(/timed out after 0.5 s/);
    expect(late.status).toBe('failed');
    expect(late.error).toMatch(/timed out after 0.3 s/);
    // The late rejection is logged, not lost.
    await waitForAsync(
      async () => warnings.some((w) => w.includes('rejected after its run had already ended')),
      5000,
      'the late rejection logged',
    );

    // Slots of the timed-out runs were freed: the worker still takes jobs.
    const after = await Promise.all(
      Array.from({ length: 5 }, () => queue.apply('ok', {}, { timeout: 10 })),
    );
    expect(after).toEqual(Array(5).fill('still working'));
    report('5. hostile task behaviour', {
      throwsNonError: thrown.status,
      returnsUndefined: `${undef.status}, result ${JSON.stringify(undef.result)}`,
      fiveMbResult: big.status,
      neverSettles: hung.status,
      rejectsAfterTimeout: late.status,
      lateRejectionLogged: true,
      jobsAfterwards: `${after.length} complete`,
    });
  });
});
