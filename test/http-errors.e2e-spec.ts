// TaskQueueExceptionFilter and TaskQueueHealthIndicator in Nest HTTP applications, each status
// from an error the library raised itself: a live backend (Redis or PostgreSQL, by project)
// for 400 / 404 / 504 / 500 and terminus "up", a loopback port where nothing listens for 503 and
// terminus "down".
import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Injectable,
  Module,
  NotFoundException,
  Param,
  Post,
  type INestApplication,
  type LoggerService,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { z } from 'zod';
import {
  Task,
  TaskFailedError,
  TaskQueueExceptionFilter,
  TaskQueueHealthIndicator,
  TaskQueues,
  type ApplyOptions,
  type TaskQueueConnection,
} from '@app/task-queue';
import { BACKEND, testBackend, type TestBackend } from './support/backend.js';
import { freePort } from './support/processes.js';
import { startTaskApp } from './support/task-app.js';
import { TEST_DATABASE_URL } from './support/postgres.js';
import { eventually } from './support/redis.js';

/** What the task that fails throws: the text that must not reach an HTTP client by default. */
const SECRET = 'credit card 4111-1111 was declined by the acquirer';

@Injectable()
class HttpTasks {
  @Task({ schema: z.object({ name: z.string() }) })
  async greet(_ctx: unknown, { name }: { name: string }) {
    return `hello ${name}`;
  }

  @Task({ retries: 0 })
  async charge() {
    throw new Error(SECRET);
  }

  @Task({ queue: 'idle' })
  async unserved() {
    return 'never runs: no worker serves this queue';
  }
}

interface Call {
  payload?: object;
  options?: ApplyOptions;
}

@Controller()
class HttpTasksController {
  constructor(
    private readonly taskQueues: TaskQueues,
    private readonly health: HealthCheckService,
    private readonly taskQueueHealth: TaskQueueHealthIndicator,
  ) {}

  @Post('enqueue/:queue/:task')
  async enqueue(@Param('queue') queue: string, @Param('task') task: string, @Body() body: Call) {
    const { id } = await this.taskQueues.get(queue).enqueue(task, body.payload, body.options);
    return { id };
  }

  @Post('apply/:queue/:task')
  async apply(@Param('queue') queue: string, @Param('task') task: string, @Body() body: Call) {
    return { result: await this.taskQueues.get(queue).apply(task, body.payload, body.options) };
  }

  @Get('missing')
  missing() {
    throw new NotFoundException('no such page');
  }

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.taskQueueHealth.isHealthy('taskQueue')]);
  }
}

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HttpTasksController],
  providers: [HttpTasks],
})
class HttpTasksModule {}

/** Every line the applications log at error level. */
const errors: string[] = [];
const logger: LoggerService = {
  log() {},
  warn() {},
  error: (message: unknown, ...rest: unknown[]) => void errors.push([message, ...rest].join(' ')),
};

const queues = ['default', 'idle'];

/** The same kind of backend as the project's, at a loopback port where nothing listens. */
async function unreachable(): Promise<TestBackend> {
  const port = await freePort();
  const connection: TaskQueueConnection =
    BACKEND === 'redis'
      ? `redis://127.0.0.1:${port}`
      : TEST_DATABASE_URL.replace(/:\d+\//, `:${port}/`);
  return { kind: BACKEND, connection, prefix: 'unreachable', env: {}, cleanup: async () => {} };
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

async function post(app: INestApplication, path: string, body: Call = {}): Promise<Answer> {
  const response = await fetch(`${await app.getUrl()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return answerOf(response);
}

async function get(app: INestApplication, path: string): Promise<Answer> {
  return answerOf(await fetch(`${await app.getUrl()}${path}`));
}

async function answerOf(response: Response): Promise<Answer> {
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe(`TaskQueueExceptionFilter on ${BACKEND}`, () => {
  const backend = testBackend('http');
  let app: INestApplication;

  beforeAll(async () => {
    app = await startTaskApp({
      backend,
      imports: [HttpTasksModule],
      providers: [{ provide: APP_FILTER, useClass: TaskQueueExceptionFilter }],
      options: { queues, worker: { queues: ['default'] } },
      logger,
      listen: '127.0.0.1',
    });
  });

  it('answers a payload its task schema rejects 400 with what to fix', async () => {
    const answer = await post(app, '/enqueue/default/greet', { payload: { name: 42 } });
    expect(answer.status).toBe(HttpStatus.BAD_REQUEST);
    expect(answer.body).toMatchObject({ statusCode: 400, error: 'InvalidPayloadError' });
    expect(answer.body.message).toMatch(/greet/);
    expect(Object.keys(answer.body).sort()).toEqual(['error', 'message', 'statusCode']);
  });

  it('answers a rejected enqueue option 400', async () => {
    const options = { delay: -1 } as ApplyOptions;
    const answer = await post(app, '/enqueue/default/greet', { payload: { name: 'a' }, options });
    expect(answer.status).toBe(HttpStatus.BAD_REQUEST);
    expect(answer.body).toMatchObject({ statusCode: 400, error: 'InvalidOptionsError' });
    expect(answer.body.message).toMatch(/delay/);
  });

  it('answers an unknown queue 404, naming the configured ones', async () => {
    const answer = await post(app, '/enqueue/nowhere/greet', { payload: { name: 'a' } });
    expect(answer.status).toBe(HttpStatus.NOT_FOUND);
    expect(answer.body).toMatchObject({ statusCode: 404, error: 'UnknownQueueError' });
    expect(answer.body.message).toMatch(/Unknown queue 'nowhere'.*'default', 'idle'/);
  });

  it('answers a wait that ran out 504, naming the job still queued', async () => {
    const answer = await post(app, '/apply/idle/unserved', { options: { timeout: 0.3 } });
    expect(answer.status).toBe(HttpStatus.GATEWAY_TIMEOUT);
    expect(answer.body).toMatchObject({ statusCode: 504, error: 'TaskWaitTimeoutError' });
    expect(answer.body.message).toMatch(/still queued after 0\.3 s: no worker serves queue 'idle'/);
  });

  it("answers a failed task 500 with its job and queue, not the task's error, which is logged", async () => {
    const answer = await post(app, '/apply/default/charge');
    expect(answer.status).toBe(HttpStatus.INTERNAL_SERVER_ERROR);
    expect(answer.body).toMatchObject({ statusCode: 500, error: 'TaskFailedError' });
    expect(answer.body.message).toMatch(/^The task of job \S+ on queue 'default' failed\./);
    expect(JSON.stringify(answer.body)).not.toContain('declined');
    expect(errors.some((line) => line.includes(SECRET))).toBe(true);
  });

  it('names the queue in the TaskFailedError of apply and of map', async () => {
    const queue = app.get(TaskQueues).get('default');
    const applied = await queue.apply('charge').catch((error: unknown) => error);
    const [mapped] = await queue.map('charge', [{}], { returnExceptions: true });
    for (const error of [applied, mapped]) {
      expect(error).toBeInstanceOf(TaskFailedError);
      expect(error).toMatchObject({ queue: 'default', reason: SECRET });
    }
  });

  it("leaves other errors to Nest's own handling", async () => {
    const notFound = await get(app, '/missing');
    expect(notFound).toMatchObject({
      status: 404,
      body: { statusCode: 404, message: 'no such page', error: 'Not Found' },
    });
    // An unknown task is the application's own bug (a name in code, a module not imported).
    const unknownTask = await post(app, '/enqueue/default/no_such_task');
    expect(unknownTask).toMatchObject({
      status: 500,
      body: { statusCode: 500, message: 'Internal server error' },
    });
  });

  it("sends the task's error when exposeTaskErrors is set (app.useGlobalFilters)", async () => {
    const exposing = await startTaskApp({
      backend,
      imports: [HttpTasksModule],
      options: { queues, worker: false },
      logger,
      listen: '127.0.0.1',
      beforeListen: (nest) =>
        nest.useGlobalFilters(new TaskQueueExceptionFilter({ exposeTaskErrors: true })),
    });
    const answer = await post(exposing, '/apply/default/charge');
    expect(answer.status).toBe(HttpStatus.INTERNAL_SERVER_ERROR);
    expect(answer.body).toMatchObject({ statusCode: 500, error: 'TaskFailedError' });
    expect(answer.body.message).toMatch(/^Task 'charge' \(job \S+\) failed: /);
    expect(answer.body.message).toContain(SECRET);
  });
});

describe(`TaskQueueExceptionFilter with ${BACKEND} unreachable`, () => {
  it('answers 503 with Retry-After (5 s by default), saying what is down', async () => {
    const app = await startTaskApp({
      backend: await unreachable(),
      imports: [HttpTasksModule],
      providers: [{ provide: APP_FILTER, useClass: TaskQueueExceptionFilter }],
      options: { queues, worker: false },
      logger,
      listen: '127.0.0.1',
    });
    const answer = await post(app, '/enqueue/default/greet', { payload: { name: 'a' } });
    expect(answer.status).toBe(HttpStatus.SERVICE_UNAVAILABLE);
    expect(answer.retryAfter).toBe('5');
    expect(answer.body).toMatchObject({ statusCode: 503 });
    expect(answer.body.error).toMatch(/^(RedisUnavailableError|BackendUnavailableError)$/);
    expect(answer.body.message).toMatch(/^Queue 'default': \w+ is not reachable/);
  });

  it('takes retryAfter from its options (useFactory)', async () => {
    const app = await startTaskApp({
      backend: await unreachable(),
      imports: [HttpTasksModule],
      providers: [
        {
          provide: APP_FILTER,
          useFactory: () => new TaskQueueExceptionFilter({ retryAfter: 30 }),
        },
      ],
      options: { queues, worker: false },
      logger,
      listen: '127.0.0.1',
    });
    const answer = await post(app, '/enqueue/default/greet', { payload: { name: 'a' } });
    expect(answer.status).toBe(HttpStatus.SERVICE_UNAVAILABLE);
    expect(answer.retryAfter).toBe('30');
  });
});

describe(`TaskQueueHealthIndicator in terminus on ${BACKEND}`, () => {
  it('is up with the backend and the workers of each queue', async () => {
    const app = await startTaskApp({
      backend: testBackend('http-health'),
      imports: [HttpTasksModule],
      options: { queues, worker: { queues: ['default'] } },
      logger,
      listen: '127.0.0.1',
    });
    // The worker connects after the bootstrap: poll until it counts.
    const answer = await eventually(
      async () => {
        const health = await get(app, '/health');
        return workersOf(health, 'default') > 0 ? health : undefined;
      },
      10_000,
      "/health to count the worker of 'default'",
    );
    expect(answer.status).toBe(200);
    const up = {
      status: 'up',
      backend: { kind: BACKEND, reachable: true },
      queues: { default: { workers: 1 }, idle: { workers: 0 } },
    };
    expect(answer.body).toEqual({
      status: 'ok',
      info: { taskQueue: up },
      error: {},
      details: { taskQueue: up },
    });
  });

  it('is down, and terminus answers 503, when the backend is unreachable', async () => {
    const app = await startTaskApp({
      backend: await unreachable(),
      imports: [HttpTasksModule],
      options: { queues, worker: false },
      logger,
      listen: '127.0.0.1',
    });
    const answer = await get(app, '/health');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ status: 'error', info: {} });
    const { taskQueue } = answer.body.error as Record<string, Record<string, unknown>>;
    expect(taskQueue).toMatchObject({
      status: 'down',
      backend: { kind: BACKEND, reachable: false },
      queues: { default: { workers: null }, idle: { workers: null } },
    });
    expect(taskQueue.message).toMatch(/^(Redis|PostgreSQL) is not reachable \(.+\): nothing can/);
    expect(Object.keys(taskQueue).sort()).toEqual(['backend', 'message', 'queues', 'status']);
  });
});

function workersOf(answer: Answer, queue: string): number {
  const info = answer.body.info as
    Record<string, { queues: Record<string, { workers: number | null }> }> | undefined;
  return info?.taskQueue?.queues[queue]?.workers ?? 0;
}
