import { BullModule, getQueueToken, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Module, Scope, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import {
  Task,
  TaskQueueModule,
  TaskQueues,
  type TaskContext,
  type TaskQueueModuleOptions,
} from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { REDIS_URL } from '../test/support/redis.js';
import {
  backendKind,
  bullmqLink,
  migrateBullmq,
  moduleConnection,
  QUEUE,
  type Place,
} from './backends.js';
import { countDeadlocks, type JobFailures } from './job-failures.js';
import { probe } from './probe.js';

export { QUEUE } from './backends.js';
export const JOB_NAME = 'noop';
/** Jobs per bulk enqueue call, for every library. */
export const BULK_CHUNK = 500;
/** The same no-op, with a request-scoped provider as its third parameter: made afresh per job. */
export const SCOPED_JOB_NAME = 'noop_scoped';

/**
 * The options TaskQueueModule gives a job by default (one attempt, its default retention),
 * given to the other two as well so that Redis does the same work for each library.
 */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** One library, opened in one namespace: enqueue through it, and with a worker, run jobs. */
export interface Session {
  add(i: number): Promise<unknown>;
  addBulk(from: number, count: number): Promise<unknown>;
  /** With a worker: what it has left failed so far (bench/job-failures.ts). */
  failures?(): Promise<JobFailures>;
  close(): Promise<void>;
}

export interface Contender {
  readonly id: 'raw' | 'nest' | 'module';
  readonly label: string;
  /** Opens the library in `at`; with `concurrency`, also a worker that starts at once. */
  open(at: Place, concurrency?: number): Promise<Session>;
}

const client = () => new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const range = (from: number, count: number) => Array.from({ length: count }, (_, k) => from + k);

const bulkOf = (from: number, count: number, name = JOB_NAME) =>
  range(from, count).map((i) => ({ name, data: { i }, opts: JOB_OPTIONS }));

/** Enqueueing with a BullMQ queue, as raw BullMQ and @nestjs/bullmq users do. */
const enqueueWith = (queue: Queue): Omit<Session, 'close'> => ({
  add: (i) => queue.add(JOB_NAME, { i }, JOB_OPTIONS),
  addBulk: (from, count) => queue.addBulk(bulkOf(from, count)),
});

/** A raw BullMQ session: closes its worker, then its queue, then its connections. */
function rawSession(
  queue: Queue,
  worker: Worker | undefined,
  release: () => Promise<unknown>,
): Session {
  const deadlocks = worker && countDeadlocks(worker);
  return {
    ...enqueueWith(queue),
    failures: deadlocks
      ? async () => ({
          failed: (await queue.getJobCounts('failed')).failed,
          deadlocks: deadlocks(),
        })
      : undefined,
    async close() {
      await worker?.close();
      await queue.close();
      await release();
    },
  };
}

const rawProcessor = async (job: Job) => {
  if (job.name === JOB_NAME) probe.hit();
};

/**
 * Plain BullMQ, as its documentation shows it: on PostgreSQL, BullMQ's own
 * `createPostgresBackend` on the lane's schema, migrated by BullMQ's `runMigrations`
 * (bench/backends.ts, `bullmqLink`). A job its worker fails by a deadlock is counted
 * (bench/job-failures.ts).
 */
export const raw: Contender = {
  id: 'raw',
  label: 'BullMQ',
  async open(at, concurrency) {
    if (at.kind !== 'redis') {
      await migrateBullmq(at);
      const link = bullmqLink(at);
      const queue = link.queue();
      const worker = concurrency ? link.worker(rawProcessor, concurrency) : undefined;
      await queue.waitUntilReady();
      return rawSession(queue, worker, () => link.close());
    }
    const { prefix } = at;
    const producer = client();
    const queue = new Queue(QUEUE, { connection: producer, prefix });
    const consumer = concurrency ? client() : undefined;
    const worker =
      consumer && new Worker(QUEUE, rawProcessor, { connection: consumer, prefix, concurrency });
    await queue.waitUntilReady();
    return rawSession(queue, worker, () => Promise.all([producer.quit(), consumer?.quit()]));
  },
};

/** `@nestjs/bullmq` processors, one class per concurrency (the decorator takes it). */
const nestProcessors = new Map<number, Type>();

function nestProcessor(concurrency: number): Type {
  let processor = nestProcessors.get(concurrency);
  if (!processor) {
    @Processor(QUEUE, { concurrency })
    class NoopProcessor extends WorkerHost {
      async process(job: Job): Promise<void> {
        switch (job.name) {
          case JOB_NAME:
            probe.hit();
            return;
          default:
            throw new Error(`Unknown job ${job.name}`);
        }
      }
    }
    nestProcessors.set(concurrency, (processor = NoopProcessor));
  }
  return processor;
}

@Module({})
class NestBullApp {
  static with(connection: Redis, prefix: string, concurrency?: number): DynamicModule {
    return {
      module: NestBullApp,
      imports: [
        BullModule.forRoot({ connection, prefix }),
        BullModule.registerQueue({ name: QUEUE }),
      ],
      providers: concurrency ? [nestProcessor(concurrency)] : [],
    };
  }
}

/**
 * `@nestjs/bullmq`: the queue injected by token, a `WorkerHost` switching on `job.name`. Redis
 * only: `BullModule` has no way to pass BullMQ a backend factory.
 */
export const nest: Contender = {
  id: 'nest',
  label: '@nestjs/bullmq',
  async open({ prefix }, concurrency) {
    // @nestjs/bullmq hands `connection` to BullMQ, whose ESM build needs an ioredis instance.
    const connection = client();
    const app = await NestFactory.createApplicationContext(
      NestBullApp.with(connection, prefix, concurrency),
      {
        logger: false,
      },
    );
    await app.init();
    const queue = app.get<Queue>(getQueueToken(QUEUE));
    await queue.waitUntilReady();
    return {
      ...enqueueWith(queue),
      async close() {
        await app.close();
        await connection.quit();
      },
    };
  },
};

/** A per-job provider, as a database session would be: one instance per job, none shared. */
@Injectable({ scope: Scope.REQUEST })
export class JobScoped {
  readonly createdAt = performance.now();
}

@Injectable()
export class BenchTasks {
  @Task(JOB_NAME)
  async noop(_ctx: TaskContext, _payload: object): Promise<void> {
    probe.hit();
  }

  @Task(SCOPED_JOB_NAME)
  async noopScoped(_ctx: TaskContext, _payload: object, _scoped: JobScoped): Promise<void> {
    probe.hit();
  }
}

@Module({ providers: [BenchTasks, JobScoped] })
class BenchTasksModule {}

@Module({})
export class TaskQueueApp {
  /** `options`: more module options, for figures that compare settings of this module. */
  static with(
    at: Place,
    concurrency?: number,
    options: TaskQueueModuleOptions = {},
  ): DynamicModule {
    return {
      module: TaskQueueApp,
      imports: [
        TaskQueueModule.forRoot({
          ...moduleConnection(at),
          queues: { [at.queue]: { concurrency: concurrency ?? 1 } },
          defaultQueue: at.queue,
          worker: concurrency !== undefined,
          ...options,
        }),
        BenchTasksModule,
      ],
    };
  }
}

/** This module: `@Task` on a provider, enqueued through `TaskQueues`. */
export const taskQueue: Contender = {
  id: 'module',
  label: 'TaskQueueModule',
  open: (at, concurrency) => openModule(at, concurrency),
};

/** Jobs the module's `prefetch` lane claims ahead of its free slots (pg-boss's batchSize there). */
export const PREFETCH = 100;

/** This module with its workers claiming `prefetch` jobs ahead of their free slots. */
export const taskQueueClaimingAhead = (prefetch: number) => ({
  id: 'module-prefetch',
  label: `TaskQueueModule prefetch ${prefetch}`,
  open: (at: Place, concurrency?: number) => openModule(at, concurrency, prefetch),
});

/** The module's `prefetch` lane of the pre-filled figure. */
export const taskQueuePrefetch = taskQueueClaimingAhead(PREFETCH);

async function openModule(
  at: Place,
  concurrency: number | undefined,
  prefetch?: number,
): Promise<Session> {
  const options = prefetch
    ? { queues: { [at.queue]: { concurrency: concurrency ?? 1, prefetch } } }
    : {};
  const app = await NestFactory.createApplicationContext(
    TaskQueueApp.with(at, concurrency, options),
    { logger: false },
  );
  await app.init();
  // On PostgreSQL, the schema migrated (as raw BullMQ's `waitUntilReady` does) before the
  // lane's feeder, whose pool shares PGlite's one session, sends anything.
  if (at.kind !== 'redis' && !(await app.get(QueueBackend).whenReady(30_000))) {
    await app.close();
    throw new Error(`TaskQueueModule: ${at.kind} not ready in ${at.prefix}`);
  }
  const queue = app.get(TaskQueues).get(at.queue);
  // Its deadlocks it retries itself; a job it still fails stays in the failed state.
  const store = app.get(QueueBackend).queue(at.queue);
  return {
    add: (i) => queue.enqueue(JOB_NAME, { i }),
    addBulk: (from, count) =>
      queue.enqueueMany(range(from, count).map((i) => ({ name: JOB_NAME, payload: { i } }))),
    failures:
      concurrency === undefined
        ? undefined
        : async () => ({ failed: (await store.getJobCounts('failed')).failed }),
    close: () => app.close(),
  };
}

/** The libraries compared on this run's backend (@nestjs/bullmq on Redis only). */
export const contenders = (): readonly Contender[] =>
  backendKind() === 'redis' ? [raw, nest, taskQueue] : [raw, taskQueue];

/** Jobs still waiting or running on a queue. */
export async function pending(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
