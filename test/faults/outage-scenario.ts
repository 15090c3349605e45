// One scenario on any backend: the store goes away under a running HTTP app (workers in the
// process), and comes back on the same port and folder.
import { Controller, Get, HttpException, Injectable, Module, Param, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  BackendUnavailableError,
  Task,
  TaskQueueModule,
  TaskQueues,
  type TaskQueue,
} from '@app/task-queue';
import type { FaultBackend, FaultServer } from './fault-servers.js';
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

  @Get('jobs/:id')
  async job(@Param('id') id: string) {
    try {
      return (await this.taskQueues.get('default').getJob(id)) ?? {};
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new HttpException(error.message, 503);
      throw error;
    }
  }
}

/** The outage scenario on `backend`. */
export interface OutageScenario {
  backend: FaultBackend;
  /** Its number in docs/reliability.md. */
  number: number;
  /** The module's `prefix`; the module's default when absent. */
  prefix?: string;
  /** The class every enqueue and read must reject with during the outage. */
  error: typeof BackendUnavailableError;
}

export function outageScenario({ backend, number, prefix, error: outage }: OutageScenario): void {
  const { store } = backend;
  const unreachable = new RegExp(
    `^Queue 'default': ${store} is not reachable .*nothing was enqueued or read\\. ` +
      `Check that ${store} is running`,
  );

  describe(`scenario ${number}: ${store} unreachable under a running app`, () => {
    let server: FaultServer;
    let app: INestApplication | undefined;
    let base: string;
    let queue: TaskQueue;

    beforeAll(async () => {
      server = await backend.server(false);
      @Module({
        imports: [
          TaskQueueModule.forRoot({ connection: server.url, prefix, shutdownGracePeriod: 1 }),
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
        await server?.destroy();
      }
    });

    const post = () => fetch(`${base}/ping`, { method: 'POST' });
    const completes = async (id: string) => {
      let seen = 'not read yet';
      await waitForAsync(
        async () => {
          const info = await queue.getJob(id);
          seen = info ? `${info.status}, attempts ${info.attempts}` : 'no such job';
          return info?.status === 'complete';
        },
        30_000,
        () => `job ${id} to complete (last read: ${seen})`,
      );
    };
    /** How long a call takes to fail, and what it failed with. */
    const failure = async (call: () => Promise<unknown>) => {
      const started = Date.now();
      const error = await call().then(
        (value) => new Error(`resolved ${JSON.stringify(value)} with ${store} down`),
        (e: unknown) => e,
      );
      return { error, ms: Date.now() - started };
    };

    it(`fails enqueue within 2 s, keeps serving, and enqueues again once ${store} is back`, async () => {
      const response = await post();
      const first = (await response.json()) as { id: string };
      expect({ status: response.status, body: first }).toEqual({ status: 201, body: first });
      expect(typeof first.id).toBe('string');
      await completes(first.id);

      await server.stop('outage');
      // The first enqueue may find the connection just gone; the next one a store known down.
      const enqueue = () => queue.enqueue('ping');
      const attempts = [await failure(enqueue), await failure(enqueue)];
      const read = await failure(() => queue.getJob(first.id));
      for (const { error, ms } of [...attempts, read]) {
        expect(error).toBeInstanceOf(outage);
        expect((error as Error).message).toMatch(unreachable);
        expect(ms).toBeLessThan(2000);
      }

      // Over HTTP: the failing routes answer 503, the others as usual.
      let started = Date.now();
      const [failed, health] = await Promise.all([post(), fetch(`${base}/health`)]);
      const httpRejectMs = Date.now() - started;
      expect(failed.status).toBe(503);
      expect(((await failed.json()) as { message: string }).message).toMatch(unreachable);
      expect(health.status).toBe(200);
      expect(httpRejectMs).toBeLessThan(2000);
      expect((await fetch(`${base}/jobs/${first.id}`)).status).toBe(503);

      // Back on the same port: the same app enqueues again, its worker runs the job.
      await server.start();
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

      // Closing while the store is down must not hang on the worker's graceful close.
      await server.stop('outage');
      started = Date.now();
      await app!.close();
      app = undefined;
      const closeSeconds = secondsSince(started);
      report(`${number}. ${store} unreachable`, {
        enqueueRejectMs: attempts[0].ms,
        secondEnqueueRejectMs: attempts[1].ms,
        getJobRejectMs: read.ms,
        httpRejectMs,
        otherRouteStatus: health.status,
        enqueueBackSeconds,
        jobRunsAgainSeconds,
        closeWithStoreDownSeconds: closeSeconds,
      });
      expect(closeSeconds).toBeLessThan(10);
    });
  });
}
