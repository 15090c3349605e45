// The whole example app under the testing kit: its TaskQueueModule.forRootAsync replaced by the
// in-memory one, its database the embedded PGlite (no DATABASE_URL), no Redis at all.
import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { eq } from 'drizzle-orm';
import { TaskQueues } from '@app/task-queue';
import { overrideTaskQueueModule, TaskQueueTester } from '@app/task-queue/testing';
import { AppModule } from './app.module.js';
import { Database } from './database/database.js';
import { userEvents, users } from './database/schema.js';
import { UsersController } from './users/users.controller.js';
import { UsersTasks } from './users/users.tasks.js';

describe('the example app with the testing kit', () => {
  let moduleRef: TestingModule;
  let tester: TaskQueueTester;
  let controller: UsersController;
  let database: Database;
  const databaseUrl = process.env.DATABASE_URL;

  beforeAll(async () => {
    delete process.env.DATABASE_URL;
    moduleRef = await overrideTaskQueueModule(
      Test.createTestingModule({ imports: [AppModule] }),
    ).compile();
    moduleRef.useLogger(['error']);
    await moduleRef.init();
    tester = moduleRef.get(TaskQueueTester);
    controller = moduleRef.get(UsersController);
    database = moduleRef.get(Database);
  });

  afterAll(async () => {
    await moduleRef?.close();
    if (databaseUrl !== undefined) process.env.DATABASE_URL = databaseUrl;
  });

  afterEach(() => tester.clear());

  it('POST /users/:id/welcome enqueues the welcome email, which runs only in drain()', async () => {
    const { jobId } = await controller.welcome(42);
    const job = tester.assertEnqueued(UsersTasks, 'sendWelcomeEmail', { userId: 42 });
    expect(job.id).toBe(jobId);
    expect((await moduleRef.get(TaskQueues).get('default').getJob(jobId))?.status).toBe('queued');
    const [ran] = await tester.drain();
    expect(ran).toMatchObject({ status: 'complete', result: { to: 'user42@example.com' } });
  });

  it('drain() runs the follow-up chain: enqueue_follow_up, then the send_email it enqueues', async () => {
    await controller.followUp(5);
    const ran = await tester.drain();
    expect(ran.map(({ name, status }) => [name, status])).toEqual([
      ['enqueue_follow_up', 'complete'],
      ['send_email', 'complete'],
    ]);
    tester.assertEnqueued('send_email', { to: 'user5@example.com' });
  });

  it('update_user_status commits through its per-job DB session on PGlite, or rolls back', async () => {
    await controller.status(2, { status: 'away' });
    await controller.status(404, { status: 'away' });
    const [done, failed] = await tester.drain();
    expect(done).toMatchObject({ status: 'complete', result: { updated: 2 } });
    expect(failed).toMatchObject({ status: 'failed', error: 'No user 404', attempts: 1 });
    const [user] = await database.db.select().from(users).where(eq(users.id, 2));
    expect(user.status).toBe('away');
    const events = await database.db.select().from(userEvents).where(eq(userEvents.userId, 2));
    expect(events).toMatchObject([{ kind: 'status_changed', detail: 'away' }]);
  });

  it('runSchedule() runs one tick of batch_process with its kwargs', async () => {
    const job = await tester.runSchedule('batch_process');
    expect(job.status).toBe('complete');
    expect(tester.enqueued({ name: 'batch_process' })).toHaveLength(1);
  });
});

describe('the example app with the testing kit, serving HTTP', () => {
  let app: INestApplication;
  let url: string;
  const databaseUrl = process.env.DATABASE_URL;

  beforeAll(async () => {
    delete process.env.DATABASE_URL;
    const moduleRef = await overrideTaskQueueModule(
      Test.createTestingModule({ imports: [AppModule] }),
    ).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    if (databaseUrl !== undefined) process.env.DATABASE_URL = databaseUrl;
  });

  it('answers a request that enqueues, with the job recorded by the tester', async () => {
    const response = await fetch(`${url}/users/7/welcome`, { method: 'POST' });
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    const job = app.get(TaskQueueTester).assertEnqueued('send_welcome_email', { userId: 7 });
    expect(job.id).toBe(jobId);
  });

  it('serves /metrics (the queues kept in memory) and leaves the dashboard unmounted', async () => {
    await app.get(TaskQueueTester).drain();
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# TYPE task_queue_job_duration_seconds histogram$/m);
    expect((await fetch(`${url}/queues`)).status).toBe(404);
  });
});
