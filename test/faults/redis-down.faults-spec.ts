// Scenario 3: Redis goes away under a running HTTP app, and comes back.
import { Controller, Get, HttpException, Injectable, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  RedisUnavailableError,
  Task,
  TaskQueueModule,
  TaskQueues,
  type TaskQueue,
} from '@app/task-queue';
import { privateRedis, report, secondsSince, waitForAsync, type PrivateRedis } from './support.js';

@Injectable()
class PingTasks {
  @Task()
  async ping() {
    return 'pong';
  }
}

@Controller()
class PingController {
  constructor(private readonly taskQueues: TaskQueues) {}

  @Get('health')
  health() {
    return { up: true };
  }

  @Post('ping')
  async enqueue() {
    try {
      return await this.taskQueues.get('default').enqueue('ping');
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw new HttpException(error.message, 503);
      throw error;
    }
  }
}

describe('scenario 3: Redis unreachable under a running app', () => {
  let redis: PrivateRedis;
  let app: INestApplication | undefined;
  let base: string;
  let queue: TaskQueue;

  beforeAll(async () => {
    redis = await privateRedis();
    @Module({
      imports: [TaskQueueModule.forRoot({ connection: redis.url, shutdownGracePeriod: 1 })],
      providers: [PingTasks],
      controllers: [PingController],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .setLogger({ log() {}, error() {}, warn() {} })
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    queue = app.get(TaskQueues).get('default');
  });

  afterAll(async () => {
    await app?.close();
    await redis?.destroy();
  });

  const post = () => fetch(`${base}/ping`, { method: 'POST' });
  const completes = async (id: string) =>
    waitForAsync(async () => (await queue.getJob(id))?.status === 'complete', 30_000, `job ${id}`);

  it('fails enqueue within 2 s, keeps serving, and enqueues again once Redis is back', async () => {
    const first = (await (await post()).json()) as { id: string };
    await completes(first.id);

    await redis.stop('SIGKILL');
    let started = Date.now();
    const error = await queue.enqueue('ping').catch((e: unknown) => e);
    const enqueueRejectMs = Date.now() - started;
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toMatch(
      /Cannot enqueue on queue 'default': Redis is not reachable .*Check that Redis is running/,
    );
    expect(enqueueRejectMs).toBeLessThan(2000);

    // Over HTTP: the failing route answers 503 at once, the others as usual.
    started = Date.now();
    const [failed, health] = await Promise.all([post(), fetch(`${base}/health`)]);
    const httpRejectMs = Date.now() - started;
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as { message: string }).message).toMatch(/not reachable/);
    expect(health.status).toBe(200);
    expect(httpRejectMs).toBeLessThan(2000);

    // Back on the same port: the same app enqueues again, its worker runs the job.
    await redis.start();
    const backAt = Date.now();
    let again: Response | undefined;
    await waitForAsync(
      async () => (again = await post()).status === 201,
      10_000,
      'enqueue works again',
    );
    const enqueueBackSeconds = secondsSince(backAt);
    await completes(((await again!.json()) as { id: string }).id);
    const jobRunsAgainSeconds = secondsSince(backAt);

    // Closing while Redis has just died must not hang on the worker's graceful close.
    await redis.stop('SIGKILL');
    started = Date.now();
    await app!.close();
    app = undefined;
    const closeSeconds = secondsSince(started);
    report('3. Redis unreachable', {
      enqueueRejectMs,
      httpRejectMs,
      otherRouteStatus: health.status,
      enqueueBackSeconds,
      jobRunsAgainSeconds,
      closeWithRedisDownSeconds: closeSeconds,
    });
    expect(closeSeconds).toBeLessThan(10);
  });
});
