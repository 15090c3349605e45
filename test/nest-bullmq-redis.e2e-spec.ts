// TaskQueueModule beside BullModule of @nestjs/bullmq, on Redis, the one backend BullModule makes
// queues on: its shared connection, @Processor classes beside @Task methods, and the migration
// of a WorkerHost to @Task methods.
import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { BullModule, InjectQueue, Processor, WorkerHost, getQueueToken } from '@nestjs/bullmq';
import { Job, Queue } from 'bullmq';
import {
  Task,
  TaskQueueConfigError,
  TaskQueueModule,
  TaskQueues,
  type TaskContext,
} from '@app/task-queue';
import { testBackend } from './support/backend.js';
import { REDIS_URL } from './support/redis.js';
import { QUIET, startTaskApp } from './support/task-app.js';
import { finished, MailModule, QueueUser } from './support/nest-bullmq.js';

const { hostname, port } = new URL(REDIS_URL);
const redis = { host: hostname, port: Number(port || 6379) };

/** The job as a Queue of BullMQ's own on `redis` and `prefix` sees it finish. */
async function finishedOutside(prefix: string, id: string) {
  const outside = new Queue('default', { connection: redis, prefix });
  try {
    return await finished(outside, id);
  } finally {
    await outside.close();
  }
}

describe('beside BullModule of @nestjs/bullmq (Redis)', () => {
  it("takes BullModule.forRoot()'s connection and prefix when given no connection", async () => {
    const backend = testBackend('nest-bullmq-shared');
    const app = await startTaskApp({
      backend,
      options: 'from-env',
      imports: [
        BullModule.forRoot({ connection: redis, prefix: backend.prefix }),
        TaskQueueModule.forRoot({ queues: ['default', 'emails'] }),
        MailModule,
      ],
      logger: QUIET,
    });
    const job = await app.get(TaskQueues).get('default').enqueue('send-email', { to: 'c@x' });
    // A Queue of BullMQ's own, on the shared connection and prefix, sees the job finish.
    expect(await finishedOutside(backend.prefix, job.id)).toMatchObject({
      result: { sentTo: 'c@x' },
    });
  });

  it("takes BullModule.forRootAsync()'s, once its factory has made it", async () => {
    const backend = testBackend('nest-bullmq-shared-async');
    const app = await startTaskApp({
      backend,
      options: 'from-env',
      imports: [
        BullModule.forRootAsync({
          useFactory: async () => ({ connection: { ...redis }, prefix: backend.prefix }),
        }),
        TaskQueueModule.forRoot({ queues: ['default', 'emails'] }),
        MailModule,
      ],
      logger: QUIET,
    });
    const { queue } = app.get(QueueUser);
    expect(queue.opts.prefix).toBe(backend.prefix);
    const job = await app.get(TaskQueues).get('default').enqueue('send-email', { to: 'd@x' });
    expect(await finishedOutside(backend.prefix, job.id)).toMatchObject({
      result: { sentTo: 'd@x' },
    });
  });

  it('refuses a queue also registered with BullModule.registerQueue(), naming it', async () => {
    const backend = testBackend('nest-bullmq-twice');
    const boot = startTaskApp({
      backend,
      imports: [
        BullModule.forRoot({ connection: redis, prefix: backend.prefix }),
        BullModule.registerQueue({ name: 'emails' }),
        MailModule,
      ],
      options: { queues: ['default', 'emails'] },
      logger: QUIET,
    });
    await expect(boot).rejects.toThrow(TaskQueueConfigError);
    await expect(boot).rejects.toThrow(
      /queue 'emails' is also registered with BullModule\.registerQueue\(\).*Drop 'emails' from BullModule\.registerQueue\(\)/,
    );
  });

  it('runs @Task methods on one queue and a @Processor class on another, in one app', async () => {
    @Processor('legacy')
    class LegacyProcessor extends WorkerHost {
      async process(job: Job<{ n: number }>) {
        return { doubled: job.data.n * 2 };
      }
    }
    const backend = testBackend('nest-bullmq-side-by-side');
    const app = await startTaskApp({
      backend,
      imports: [
        BullModule.forRoot({ connection: redis, prefix: backend.prefix }),
        BullModule.registerQueue({ name: 'legacy' }),
        MailModule,
      ],
      providers: [LegacyProcessor],
      options: { queues: ['default', 'emails'] },
      logger: QUIET,
    });
    const legacy = app.get<Queue>(getQueueToken('legacy'));
    const [old, task] = await Promise.all([
      legacy.add('double', { n: 21 }),
      app.get(TaskQueues).get('default').enqueue('send-email', { to: 'e@x' }),
    ]);
    expect(await finished(legacy, old.id!)).toMatchObject({ result: { doubled: 42 } });
    expect(await finished(app.get(QueueUser).queue, task.id)).toMatchObject({
      result: { sentTo: 'e@x', by: 'task' },
    });
  });

  it('migrates a WorkerHost that switches on job.name: its waiting jobs run as @Task methods', async () => {
    const backend = testBackend('nest-bullmq-migrate');
    const seen: unknown[] = [];

    // Before: the queue, its producer and a WorkerHost of @nestjs/bullmq.
    @Processor('default')
    class MailProcessor extends WorkerHost {
      async process(job: Job) {
        switch (job.name) {
          case 'send-email':
            return { sentTo: (job.data as { to: string }).to, by: 'WorkerHost' };
          case 'resize-image':
            return { resized: (job.data as { id: number }).id, by: 'WorkerHost' };
          default:
            throw new Error(`unknown job ${job.name}`);
        }
      }
    }
    @Injectable()
    class MailProducer {
      constructor(@InjectQueue('default') readonly queue: Queue) {}
      send(to: string) {
        return this.queue.add('send-email', { to }, { attempts: 3 });
      }
      resize(id: number) {
        return this.queue.add('resize-image', { id });
      }
    }
    const before = await startTaskApp({
      backend,
      options: 'from-env',
      imports: [
        BullModule.forRoot({ connection: redis, prefix: backend.prefix }),
        BullModule.registerQueue({ name: 'default' }),
      ],
      providers: [MailProcessor, MailProducer],
      logger: QUIET,
    });
    const producer = before.get(MailProducer);
    const first = await producer.send('old@x');
    expect(await finished(producer.queue, first.id!)).toEqual({
      state: 'completed',
      result: { sentTo: 'old@x', by: 'WorkerHost' },
      reason: undefined,
    });
    // The workers stop (the deploy begins); the old code still enqueues.
    await before.get(MailProcessor).worker.close();
    const waiting = [await producer.send('waiting@x'), await producer.resize(7)];
    await before.close();

    // After: the same BullModule.forRoot(), @Task methods of the same names.
    @Injectable()
    class MailTasksAfter {
      @Task('send-email')
      sendEmail(_ctx: TaskContext, payload: { to: string }) {
        seen.push(payload);
        return { sentTo: payload.to, by: 'task' };
      }

      @Task('resize-image')
      resizeImage(_ctx: TaskContext, payload: { id: number }) {
        seen.push(payload);
        return { resized: payload.id, by: 'task' };
      }
    }
    const after = await startTaskApp({
      backend,
      options: 'from-env',
      imports: [
        BullModule.forRoot({ connection: redis, prefix: backend.prefix }),
        TaskQueueModule.forRoot({ queues: ['default'] }),
      ],
      providers: [MailTasksAfter, MailProducer],
      logger: QUIET,
    });
    const queue = after.get(MailProducer).queue;
    expect(await finished(queue, waiting[0].id!)).toMatchObject({
      state: 'completed',
      result: { sentTo: 'waiting@x', by: 'task' },
    });
    expect(await finished(queue, waiting[1].id!)).toMatchObject({
      state: 'completed',
      result: { resized: 7, by: 'task' },
    });
    expect(seen).toEqual(expect.arrayContaining([{ to: 'waiting@x' }, { id: 7 }]));
    // The old producer code, unchanged, enqueues to the new tasks.
    const later = await after.get(MailProducer).send('later@x');
    expect(await finished(queue, later.id!)).toMatchObject({ result: { by: 'task' } });
  });
});
