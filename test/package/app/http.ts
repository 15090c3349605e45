// The consumer's HTTP applications with the package's TaskQueueExceptionFilter and
// TaskQueueHealthIndicator (under @nestjs/terminus): one on Express and the Redis at REDIS_URL,
// with the package's dashboard (Bull Board, loaded once it is mounted),
// one on Fastify and UNREACHABLE_URL, where nothing listens. It calls its own endpoints over HTTP, so every answer
// comes from an error the package raised, and prints them as one JSON object for
// scripts/test-package.js to check.
import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  Post,
  type DynamicModule,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, NestFactory, type AbstractHttpAdapter } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import {
  Task,
  TaskQueueExceptionFilter,
  TaskQueueHealthIndicator,
  TaskQueueModule,
  TaskQueues,
  type ApplyOptions,
  type TaskContext,
} from 'nestjs-task-queue';
import { TaskQueueDashboardModule } from 'nestjs-task-queue/dashboard';
import { dashboardPackagesLoaded } from './loaded.js';

/** The dashboard's credentials. */
const DASHBOARD_LOGIN = { username: 'ops', password: 'not-a-secret' };

/** The text of the failing task's error: the 500 must not carry it. */
const SECRET = 'card 4111 declined by the acquirer';

/** A Standard Schema written by hand: the app has no validation library. */
const named = {
  '~standard': {
    version: 1 as const,
    vendor: 'consumer',
    validate: (value: unknown) =>
      typeof (value as { name?: unknown } | null)?.name === 'string'
        ? { value }
        : { issues: [{ message: 'name must be a string', path: ['name'] }] },
  },
};

@Injectable()
class HttpTasks {
  @Task({ schema: named })
  greet(_ctx: TaskContext, { name }: { name: string }) {
    return `hello ${name}`;
  }

  @Task({ retries: 0 })
  charge() {
    throw new Error(SECRET);
  }

  @Task({ queue: 'idle' })
  unserved() {
    return 'no worker serves this queue';
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
    private readonly taskQueue: TaskQueueHealthIndicator,
  ) {}

  @Post('enqueue/:queue/:task')
  async enqueue(@Param('queue') queue: string, @Param('task') task: string, @Body() body: Call) {
    return this.taskQueues.get(queue).enqueue(task, body.payload, body.options);
  }

  @Post('apply/:queue/:task')
  async apply(@Param('queue') queue: string, @Param('task') task: string, @Body() body: Call) {
    return { result: await this.taskQueues.get(queue).apply(task, body.payload, body.options) };
  }

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.taskQueue.isHealthy('taskQueue')]);
  }
}

@Module({})
class HttpAppModule {
  static on(connection: string, worker: boolean): DynamicModule {
    return {
      module: HttpAppModule,
      imports: [
        TaskQueueModule.forRoot({
          connection,
          prefix: process.env.TASK_QUEUE_PREFIX,
          queues: ['default', 'idle'],
          worker: worker ? { queues: ['default'] } : false,
        }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HttpTasksController],
      providers: [HttpTasks],
    };
  }
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

async function call(app: INestApplication, path: string, body?: Call): Promise<Answer> {
  const response = await fetch(`${await app.getUrl()}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

async function serve(
  module: DynamicModule,
  configure: (app: INestApplication) => void,
  adapter?: AbstractHttpAdapter,
) {
  const app = adapter
    ? await NestFactory.create(module, adapter, { logger: false })
    : await NestFactory.create(module, { logger: false });
  configure(app);
  await app.listen(0, '127.0.0.1');
  return app;
}

async function main() {
  const app = HttpAppModule.on(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', true);
  const live = await serve(
    {
      ...app,
      imports: [...app.imports!, TaskQueueDashboardModule.forRoot({ auth: DASHBOARD_LOGIN })],
      // Through Nest's injector, as an application registers it in a module.
      providers: [HttpTasks, { provide: APP_FILTER, useClass: TaskQueueExceptionFilter }],
    },
    () => {},
  );
  const down = await serve(
    HttpAppModule.on(process.env.UNREACHABLE_URL!, false),
    (app) => app.useGlobalFilters(new TaskQueueExceptionFilter({ retryAfter: 7 })),
    new FastifyAdapter(),
  );
  try {
    const answers = {
      badPayload: await call(live, '/enqueue/default/greet', { payload: { name: 42 } }),
      badOptions: await call(live, '/enqueue/default/greet', {
        payload: { name: 'a' },
        options: { delay: -1 },
      }),
      unknownQueue: await call(live, '/enqueue/nowhere/greet', { payload: { name: 'a' } }),
      unreachable: await call(down, '/enqueue/default/greet', { payload: { name: 'a' } }),
      waitTimeout: await call(live, '/apply/idle/unserved', { options: { timeout: 0.5 } }),
      taskFailed: await call(live, '/apply/default/charge', {}),
      healthUp: await healthWithWorker(live),
      healthDown: await call(down, '/health'),
      fastifyUnknownQueue: await call(down, '/enqueue/nowhere/greet', { payload: { name: 'a' } }),
    };
    const dashboard = await fetch(`${await live.getUrl()}/queues/api/queues`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${DASHBOARD_LOGIN.username}:${DASHBOARD_LOGIN.password}`).toString('base64')}`,
      },
    });
    const board = {
      status: dashboard.status,
      queues: ((await dashboard.json()) as { queues?: { name: string }[] }).queues?.map(
        ({ name }) => name,
      ),
      packagesLoaded: dashboardPackagesLoaded().length,
    };
    console.log(JSON.stringify({ secret: SECRET, answers, board }));
  } finally {
    await Promise.all([live.close(), down.close()]);
  }
}

/** `/health` once the worker of 'default' has connected (it starts after the bootstrap). */
async function healthWithWorker(app: INestApplication): Promise<Answer> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await call(app, '/health');
    const info = answer.body.info as { taskQueue?: { queues: { default: { workers: number } } } };
    if (info?.taskQueue?.queues.default.workers || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
