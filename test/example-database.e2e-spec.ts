// The example app on either database, as a user starts it: with no DATABASE_URL on the embedded
// PGlite, with one on PostgreSQL (a schema of this file's own), the queues in that same database
// (on PGlite, the same instance), or on Redis with an outbox in that PostgreSQL. Each migrates at
// start, runs update_user_status from its HTTP route, signs a user up in one transaction with its
// welcome email, and closes the database when the app closes.
import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { eq } from 'drizzle-orm';
import { TaskQueues } from '@app/task-queue';
import { AppModule } from '../src/app.module.js';
import { Database, EmbeddedDatabase, PostgresDatabase } from '../src/database/database.js';
import { userEvents, users } from '../src/database/schema.js';
import { countJobs } from './support/backend.js';
import { enqueueAndFinish, type JobJson } from './support/http.js';
import { createSchema, TEST_DATABASE_URL, type TestSchema } from './support/postgres.js';
import { deleteKeys, eventually, REDIS_URL, uniquePrefix } from './support/redis.js';

/** Nest's console logger, keeping the errors it logs. */
class RecordingLogger extends ConsoleLogger {
  readonly errors: string[] = [];

  override error(message: unknown, ...rest: unknown[]) {
    this.errors.push(String(message));
    super.error(message, ...rest);
  }
}

const logger = new RecordingLogger({ logLevels: ['error', 'warn'] });

/** Boots AppModule with these environment variables (undefined: unset), restoring them after. */
async function bootApp(env: Record<string, string | undefined>): Promise<INestApplication> {
  const previous = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(env);
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.listen(0, '127.0.0.1');
    return app;
  } finally {
    apply(previous);
  }
}

/** `POST /users/:id/status`, then the job once it has finished. */
async function setStatusOverHttp(app: INestApplication, userId: number, status: string) {
  return enqueueAndFinish(await app.getUrl(), `/users/${userId}/status`, { status });
}

describe.each([
  ['the embedded PGlite, with no DATABASE_URL', 'pglite'],
  ['PostgreSQL, with DATABASE_URL', 'postgres'],
  ['Redis, with DATABASE_URL: the outbox', 'redis'],
] as const)('the example app on %s', (_label, queues) => {
  let schema: TestSchema | undefined;
  let queueSchema: TestSchema | undefined;
  const redisPrefix = queues === 'redis' ? uniquePrefix('example_outbox') : undefined;
  let app: INestApplication;
  let database: Database;

  beforeAll(async () => {
    if (queues !== 'pglite') schema = await createSchema('example');
    if (queues === 'postgres') queueSchema = await createSchema('example_queues');
    const queueUrl = { pglite: 'pglite:memory', postgres: TEST_DATABASE_URL, redis: REDIS_URL };
    app = await bootApp({
      // The same database; the queues in a schema of their own (the URL's search_path would win).
      TASK_QUEUE_URL: queueUrl[queues],
      // On PGlite the instance is this app's own: BullMQ's default schema will do.
      TASK_QUEUE_PREFIX: queueSchema?.name ?? redisPrefix,
      DATABASE_URL: schema?.url,
      // On Redis: the outbox table beside the app's, dropped with them.
      TASK_QUEUE_OUTBOX_SCHEMA: queues === 'redis' ? schema?.name : undefined,
      // The signup's onboarding: seconds instead of days.
      ONBOARDING_CONFIRM_WITHIN: '5',
      ONBOARDING_TIPS_AFTER: '1',
    });
    database = app.get(Database);
  });

  afterAll(async () => {
    await app?.close();
    await schema?.drop();
    await queueSchema?.drop();
    if (redisPrefix) await deleteKeys(redisPrefix);
  });

  /** `POST /users { email }`, with `query` after the path. */
  async function signUp(email: string, query = '') {
    const response = await fetch(`${await app.getUrl()}/users${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** `GET /jobs/default/:id` once the job's status is one of `statuses`. */
  function jobWhen(id: string, statuses: string[], what: string) {
    return eventually(
      async () => {
        const read = (await (
          await fetch(`${await app.getUrl()}/jobs/default/${id}`)
        ).json()) as JobJson & { attempts: number; steps: { id: string }[] };
        return statuses.includes(read.status) ? read : undefined;
      },
      20_000,
      what,
    );
  }

  const usersWithEmail = (email: string) =>
    database.db.select({ id: users.id }).from(users).where(eq(users.email, email));

  it('uses that database, migrated at start with the demo users', async () => {
    expect(database).toBeInstanceOf(queues === 'pglite' ? EmbeddedDatabase : PostgresDatabase);
    const demo = await database.db.select({ id: users.id }).from(users).orderBy(users.id);
    expect(demo.map(({ id }) => id)).toEqual([1, 2, 3]);
  });

  it('POST /users/1/status runs update_user_status and commits the change', async () => {
    expect(await setStatusOverHttp(app, 1, 'away')).toMatchObject({
      name: 'update_user_status',
      status: 'complete',
      result: { updated: 1 },
    });
    const [user] = await database.db.select().from(users).where(eq(users.id, 1));
    expect(user.status).toBe('away');
    const events = await database.db.select().from(userEvents).where(eq(userEvents.userId, 1));
    expect(events).toMatchObject([{ kind: 'status_changed', detail: 'away' }]);
  });

  it('fails update_user_status for an unknown user, and answers 400 to a bad status', async () => {
    expect(await setStatusOverHttp(app, 404, 'away')).toMatchObject({
      status: 'failed',
      error: 'No user 404',
    });
    const bad = await fetch(`${await app.getUrl()}/users/1/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'Robert; DROP TABLE users' }),
    });
    expect(bad.status).toBe(400);
  });

  it('POST /users saves the user and enqueues its onboarding in one transaction, run once', async () => {
    const jobsBefore = await countJobs(app, 'default');
    const signup = await signUp('ada@example.com');
    expect(signup).toEqual({
      status: 201,
      body: {
        userId: expect.any(Number) as unknown,
        jobId: expect.any(String) as unknown,
        transactional: true,
      },
    });
    const userId = signup.body.userId as number;
    expect(await usersWithEmail('ada@example.com')).toEqual([{ id: userId }]);
    // Never confirmed: the reminder goes out once the 5 s to confirm are over.
    const job = await jobWhen(
      signup.body.jobId as string,
      ['complete', 'failed'],
      'the onboarding to finish',
    );
    expect(job).toMatchObject({
      name: 'onboard_user',
      status: 'complete',
      result: { userId, confirmed: false, sent: ['welcome', 'reminder'] },
    });
    expect(job.steps.map((step) => step.id)).toEqual(['welcome', 'reminder']);
    expect(await countJobs(app, 'default')).toBe(jobsBefore + 1);
  });

  it('POST /users/:id/confirm-email resumes the onboarding: tips after a sleep, no reminder', async () => {
    const signup = await signUp('lin@example.com');
    const { userId, jobId } = signup.body as { userId: number; jobId: string };
    await jobWhen(jobId, ['scheduled'], 'the onboarding to wait for the confirmation');
    const confirm = async () =>
      fetch(`${await app.getUrl()}/users/${userId}/confirm-email`, { method: 'POST' });
    const confirmed = await confirm();
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toEqual({ woken: 1 });
    const job = await jobWhen(jobId, ['complete', 'failed'], 'the onboarding to finish');
    expect(job).toMatchObject({
      status: 'complete',
      result: { userId, confirmed: true, sent: ['welcome', 'tips'] },
    });
    expect(job.steps.map((step) => step.id)).toEqual(['welcome', 'tips']);
    // Nobody waits any more: the event is not kept.
    expect(await (await confirm()).json()).toEqual({ woken: 0 });
  });

  it('a signup that fails after the enqueue rolls back: no user and no job', async () => {
    const jobsBefore = await countJobs(app, 'default');
    const failed = await signUp('grace@example.com', '?fail=after-enqueue');
    expect(failed.status).toBe(500);
    const message = failed.body.message as string;
    expect(message).toMatch(/after enqueueing job \S+ .*rolled back together/);
    if (queues === 'redis') expect(message).toMatch(/the outbox row with the user/);
    const voidJobId = /job (\S+) /.exec(message)?.[1];
    // Through the outbox a committed job reaches Redis at the relay: give it longer than its poll.
    if (queues === 'redis') await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await app.get(TaskQueues).get('default').getJob(voidJobId!)).toBeUndefined();
    expect(await usersWithEmail('grace@example.com')).toEqual([]);
    expect(await countJobs(app, 'default')).toBe(jobsBefore);
  });

  it('a signup with a taken email answers 409, and enqueues nothing', async () => {
    const jobsBefore = await countJobs(app, 'default');
    const taken = await signUp('user1@example.com');
    expect(taken).toMatchObject({
      status: 409,
      body: { message: 'A user with the email user1@example.com already exists' },
    });
    expect(await usersWithEmail('user1@example.com')).toHaveLength(1);
    expect(await countJobs(app, 'default')).toBe(jobsBefore);
  });

  it('closes the database when the app closes, after the queues that may be on it', async () => {
    const logged = logger.errors.length;
    await app.close();
    // On PGlite the queues share the database: closed first, it would fail their shutdown,
    // which their health check reports a moment later.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(logger.errors.slice(logged)).toEqual([]);
    if (database instanceof PostgresDatabase) expect(database.pool.ended).toBe(true);
    if (database instanceof EmbeddedDatabase) expect((await database.open()).closed).toBe(true);
  });
});
