// TaskQueueModule in an application that uses @nestjs/bullmq: @InjectQueue on every backend (the
// Queue is this module's). The Redis-only part is nest-bullmq-redis.e2e-spec.ts.
import { describe, expect, it } from '@jest/globals';
import { BullModule } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { TaskQueueConfigError, TaskQueueModule, TaskQueues } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { BACKEND, testBackend } from './support/backend.js';
import { QUIET, startTaskApp } from './support/task-app.js';
import { finished, MailModule, OtherQueueUser, QueueUser } from './support/nest-bullmq.js';

describe('@InjectQueue() without BullModule.registerQueue', () => {
  it("is the Queue behind TaskQueues.get(name), for forRoot's queues", async () => {
    const app = await startTaskApp({
      backend: testBackend('nest-bullmq-inject'),
      imports: [MailModule],
      options: { queues: ['default', 'emails'] },
      logger: QUIET,
    });
    const { queue, emails } = app.get(QueueUser);
    expect(queue).toBeInstanceOf(Queue);
    expect(queue.name).toBe('default');
    expect(emails.name).toBe('emails');
    expect(app.get(OtherQueueUser).queue).toBe(queue);
    expect(queue).toBe(app.get(QueueBackend).queue('default'));

    // What TaskQueues enqueues, BullMQ's API reads; what BullMQ's API adds, the tasks run.
    const enqueued = await app.get(TaskQueues).get('default').enqueue('send-email', { to: 'a@x' });
    expect((await queue.getJob(enqueued.id))?.data).toEqual({ to: 'a@x' });
    const added = await emails.add('digest', { week: 12 });
    expect(await finished(emails, added.id!)).toMatchObject({
      state: 'completed',
      result: { week: 12 },
    });
  });

  it('is provided for the queues given beside the factory of forRootAsync', async () => {
    const backend = testBackend('nest-bullmq-async');
    const app = await startTaskApp({
      backend,
      options: 'from-env',
      imports: [
        TaskQueueModule.forRootAsync({
          queues: ['default', 'emails'],
          useFactory: async () => ({ connection: backend.connection, prefix: backend.prefix }),
        }),
        MailModule,
      ],
      logger: QUIET,
    });
    const { emails } = app.get(QueueUser);
    expect(emails).toBe(app.get(QueueBackend).queue('emails'));
    const added = await emails.add('digest', { week: 3 });
    expect(await finished(emails, added.id!)).toMatchObject({ result: { week: 3 } });
    expect([...app.get(TaskQueues).names()].sort()).toEqual(['default', 'emails']);
  });

  it('refuses a factory of forRootAsync that names other queues than those beside it', async () => {
    const backend = testBackend('nest-bullmq-async-differ');
    const boot = startTaskApp({
      backend,
      options: 'from-env',
      imports: [
        TaskQueueModule.forRootAsync({
          queues: ['default', 'emails'],
          useFactory: () => ({ connection: backend.connection, queues: ['default'] }),
        }),
      ],
      logger: QUIET,
    });
    await expect(boot).rejects.toThrow(TaskQueueConfigError);
    await expect(boot).rejects.toThrow(/factory's queues \('default'\).*'default', 'emails'/);
  });

  it('leaves a connection given to TaskQueueModule in place of BullModule.forRoot()', async () => {
    // On PostgreSQL and PGlite too: BullModule's Redis is not where these queues live.
    const backend = testBackend('nest-bullmq-own-connection');
    const app = await startTaskApp({
      backend,
      imports: [
        BullModule.forRoot({ connection: { host: '127.0.0.1', port: 1 }, prefix: 'elsewhere' }),
        MailModule,
      ],
      options: { queues: ['default', 'emails'] },
      logger: QUIET,
    });
    expect(app.get(QueueBackend).kind).toBe(BACKEND);
    const result = await app
      .get(TaskQueues)
      .get('default')
      .apply('send-email', { to: 'b@x' }, { timeout: 15 });
    expect(result).toEqual({ sentTo: 'b@x', by: 'task' });
  });
});
