// Scenario 10: scenario 3 on PostgreSQL. The private server of a running HTTP app (workers in
// the process) stops, and comes back on the same port and data folder.
import { Controller, Get, HttpException, Injectable, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  BackendUnavailableError,
  Task,
  TaskQueueModule,
  TaskQueues,
  type TaskQueue,
} from '@app/task-queue';
import { privatePostgres, type PrivatePostgres } from './postgres-server.js';
import { report, secondsSince, waitForAsync } from './support.js';

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
      if (error instanceof BackendUnavailableError) throw new HttpException(error.message, 503);
      throw error;
    }
  }
}

const UNREACHABLE = /^Queue 'default': PostgreSQL is not reachable .*nothing was enqueued/;

describe('scenario 10: PostgreSQL unreachable under a running app', () => {
  let postgres: PrivatePostgres;
  let app: INestApplication | undefined;
  let base: string;
  let queue: TaskQueue;

  beforeAll(async () => {
    postgres = await privatePostgres();
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          connection: postgres.url,
          prefix: 'faults_pg_down',
          shutdownGracePeriod: 1,
        }),
      ],
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
    try {
      await app?.close();
    } finally {
      await postgres?.destroy();
    }
  });

  const post = () => fetch(`${base}/ping`, { method: 'POST' });
  const completes = async (id: string) =>
    waitForAsync(async () => (await queue.getJob(id))?.status === 'complete', 30_000, `job ${id}`);
  /** How long an enqueue takes to fail, and what it failed with. */
  const failedEnqueue = async () => {
    const started = Date.now();
    const error = await queue.enqueue('ping').then(
      (job) => new Error(`enqueued job ${job.id} with PostgreSQL down`),
      (e: unknown) => e,
    );
    return { error, ms: Date.now() - started };
  };

  it('fails enqueue within 2 s, keeps serving, and enqueues again once PostgreSQL is back', async () => {
    const first = (await (await post()).json()) as { id: string };
    await completes(first.id);

    await postgres.stop('fast');
    // The first enqueue finds the pool's connections gone; the next one a backend known down.
    const attempts = [await failedEnqueue(), await failedEnqueue()];
    for (const { error, ms } of attempts) {
      expect(error).toBeInstanceOf(BackendUnavailableError);
      expect((error as Error).message).toMatch(UNREACHABLE);
      expect((error as Error).message).toMatch(/Check that PostgreSQL is running/);
      expect(ms).toBeLessThan(2000);
    }

    // Over HTTP: the failing route answers 503, the others as usual.
    let started = Date.now();
    const [failed, health] = await Promise.all([post(), fetch(`${base}/health`)]);
    const httpRejectMs = Date.now() - started;
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as { message: string }).message).toMatch(UNREACHABLE);
    expect(health.status).toBe(200);
    expect(httpRejectMs).toBeLessThan(2000);

    // Back on the same port and folder: the same app enqueues again, its worker runs the job.
    await postgres.start();
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

    // Closing while the server is down must not hang on the worker's graceful close.
    await postgres.stop('fast');
    started = Date.now();
    await app!.close();
    app = undefined;
    const closeSeconds = secondsSince(started);
    report('10. PostgreSQL unreachable', {
      enqueueRejectMs: attempts[0].ms,
      secondEnqueueRejectMs: attempts[1].ms,
      httpRejectMs,
      otherRouteStatus: health.status,
      enqueueBackSeconds,
      jobRunsAgainSeconds,
      closeWithPostgresDownSeconds: closeSeconds,
    });
    expect(closeSeconds).toBeLessThan(10);
  });
});
