// DbSession against the real PostgreSQL (a schema of this file's own) and the real Redis: one
// transaction per job, committed with the task, rolled back with its failure or timeout, closed
// for good afterwards, and every pooled connection back where it was after hundreds of jobs.
import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { Task, TaskQueues, type TaskContext } from '@app/task-queue';
import { DatabaseModule } from '../src/database/database.module.js';
import { Database, PostgresDatabase } from '../src/database/database.js';
import { openDatabase } from '../src/database/open-database.js';
import { DbSession } from '../src/database/db-session.js';
import { DbSessionClosedError } from '../src/database/db-session-closed.error.js';
import { userEvents, users } from '../src/database/schema.js';
import { SharedModule } from '../src/shared/shared.module.js';
import { UsersModule } from '../src/users/users.module.js';
import { testBackend } from './support/backend.js';
import { createSchema, type TestSchema } from './support/postgres.js';
import { eventually } from './support/redis.js';
import { QUIET, startTaskApp } from './support/task-app.js';

const CONCURRENT = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes every caller wait until `size` callers have arrived (or fails them all after 20 s). */
class Barrier {
  private arrived = 0;
  private release!: () => void;
  private readonly all = new Promise<void>((resolve) => (this.release = resolve));
  constructor(private readonly size: number) {}
  async arrive(): Promise<void> {
    if (++this.arrived === this.size) this.release();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${this.arrived} arrived`)), 20_000);
    });
    try {
      await Promise.race([this.all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Tasks that only a test wants: writes that must not survive, and transactions side by side. */
@Injectable()
class DbProbeTasks {
  lateWriteError?: unknown;
  barrier = new Barrier(CONCURRENT);

  @Task()
  async writeThenThrow(_ctx: TaskContext, payload: { userId: number }, db: DbSession) {
    const tx = await db.tx();
    await tx.update(users).set({ status: 'doomed' }).where(eq(users.id, payload.userId));
    throw new Error('validation failed after the write');
  }

  @Task({ timeout: 0.5 })
  async writeThenHang(_ctx: TaskContext, payload: { userId: number }, db: DbSession) {
    const tx = await db.tx();
    await tx.update(users).set({ status: 'hung' }).where(eq(users.id, payload.userId));
    await sleep(1500); // long past the timeout: the session has been rolled back meanwhile
    try {
      await tx.update(users).set({ status: 'late' }).where(eq(users.id, payload.userId));
    } catch (error) {
      this.lateWriteError = error;
    }
  }

  /** Writes a marker, waits until every job has written one, then reports what it can see. */
  @Task()
  async isolated(_ctx: TaskContext, payload: { userId: number; marker: string }, db: DbSession) {
    const tx = await db.tx();
    await tx
      .insert(userEvents)
      .values({ userId: payload.userId, kind: 'probe', detail: payload.marker });
    await this.barrier.arrive();
    const seen = await tx
      .select({ marker: userEvents.detail })
      .from(userEvents)
      .where(eq(userEvents.kind, 'probe'));
    const [{ pid }] = await tx
      .select({ pid: sql<number>`pg_backend_pid()` })
      .from(users)
      .where(eq(users.id, payload.userId));
    return { seen: seen.map((row) => row.marker), pid };
  }

  /** Writes, then succeeds or fails as asked: the load of the pool test. */
  @Task()
  async writeMaybeFail(
    _ctx: TaskContext,
    payload: { userId: number; n: number; fail: boolean },
    db: DbSession,
  ) {
    const tx = await db.tx();
    await tx
      .insert(userEvents)
      .values({ userId: payload.userId, kind: 'load', detail: String(payload.n) });
    if (payload.fail) throw new Error(`job ${payload.n} fails on purpose`);
    return payload.n;
  }
}

@Module({ imports: [DatabaseModule], providers: [DbProbeTasks] })
class DbProbeModule {}

describe('DbSession on PostgreSQL', () => {
  let schema: TestSchema;
  let app: TestingModule;
  let database: PostgresDatabase;
  let queues: TaskQueues;
  let userId: number;

  const statusOf = async (id: number) =>
    (await database.db.select({ status: users.status }).from(users).where(eq(users.id, id)))[0]
      ?.status;

  beforeAll(async () => {
    schema = await createSchema('db');
    app = await startTaskApp({
      backend: testBackend('db'),
      imports: [UsersModule, SharedModule, DbProbeModule],
      options: {
        // SharedModule also has a task on the example's 'emails' queue.
        queues: { default: { concurrency: CONCURRENT }, emails: {} },
        worker: { queues: ['default'] },
      },
      override: (builder) =>
        builder
          .overrideProvider(Database)
          .useFactory({ factory: () => openDatabase(schema.url, { poolSize: CONCURRENT + 2 }) }),
      logger: QUIET,
    });
    database = app.get(Database);
    expect(database).toBeInstanceOf(PostgresDatabase);
    queues = app.get(TaskQueues);
    [{ id: userId }] = await database.db
      .insert(users)
      .values({ email: 'db-session@example.com', status: 'active' })
      .returning({ id: users.id });
  });

  afterAll(async () => {
    // Before the schema goes: the application's pool still has connections to it.
    await app?.close();
    await schema?.drop();
  });

  beforeEach(async () => {
    await database.db.update(users).set({ status: 'active' }).where(eq(users.id, userId));
  });

  it('commits a successful update_user_status: the row changed, the event was recorded', async () => {
    const result = await queues
      .get('default')
      .apply('update_user_status', { userId, status: 'away' });
    expect(result).toEqual({ updated: userId });
    expect(await statusOf(userId)).toBe('away');
    const events = await database.db
      .select({ detail: userEvents.detail })
      .from(userEvents)
      .where(and(eq(userEvents.userId, userId), eq(userEvents.kind, 'status_changed')));
    expect(events).toEqual([{ detail: 'away' }]);
  });

  it('fails update_user_status for a user that does not exist, writing nothing', async () => {
    await expect(
      queues.get('default').apply('update_user_status', { userId: 999_999, status: 'away' }),
    ).rejects.toThrow('No user 999999');
  });

  it('rolls back a task that writes then throws: the row is unchanged', async () => {
    await expect(queues.get('default').apply('writeThenThrow', { userId })).rejects.toThrow(
      'validation failed after the write',
    );
    expect(await statusOf(userId)).toBe('active');
  });

  it('rolls back a task that times out, and refuses its late write', async () => {
    await expect(queues.get('default').apply('writeThenHang', { userId })).rejects.toThrow(
      /timed out after 0.5 s/,
    );
    expect(await statusOf(userId)).toBe('active');
    const probes = app.get(DbProbeTasks);
    const error = await eventually(() => probes.lateWriteError, 5000, 'the late write to fail');
    // Drizzle names the query it could not run; the cause is the session's refusal.
    expect((error as Error).message).toMatch(/^Failed query: update "users" set "status" = \$1/);
    const { cause } = error as Error;
    expect(cause).toBeInstanceOf(DbSessionClosedError);
    expect((cause as Error).message).toMatch(
      /^The DbSession of job \S+ \(writeThenHang\) is rolled back: no query can run/,
    );
    expect(await statusOf(userId)).toBe('active');
  });

  it(`gives ${CONCURRENT} concurrent jobs a transaction each: none sees another's writes`, async () => {
    const queue = queues.get('default');
    const markers = Array.from({ length: CONCURRENT }, (_, n) => `marker-${n}`);
    const results = await Promise.all(
      markers.map((marker) =>
        queue.apply<{ seen: string[]; pid: number }>('isolated', { userId, marker }),
      ),
    );
    results.forEach(({ seen }, n) => expect(seen).toEqual([markers[n]]));
    expect(new Set(results.map(({ pid }) => pid)).size).toBe(CONCURRENT);
    const committed = await database.db
      .select({ marker: userEvents.detail })
      .from(userEvents)
      .where(eq(userEvents.kind, 'probe'));
    expect(committed.map((row) => row.marker).sort()).toEqual([...markers].sort());
  });

  it('leaves the pool at its idle baseline after 500 mixed jobs: no leaked client', async () => {
    const { pool } = database;
    const queue = queues.get('default');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 500 }, (_, n) =>
        queue.apply('writeMaybeFail', { userId, n, fail: n % 3 === 0 }, { timeout: 120 }),
      ),
    );
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failed).toHaveLength(167);
    for (const outcome of failed) {
      expect(String(outcome.reason)).toMatch(/fails on purpose/);
    }
    const [{ count }] = await database.db
      .select({ count: sql<number>`count(*)::int` })
      .from(userEvents)
      .where(eq(userEvents.kind, 'load'));
    expect(count).toBe(333);

    expect(pool.waitingCount).toBe(0);
    expect(pool.idleCount).toBe(pool.totalCount);
    expect(pool.totalCount).toBeLessThanOrEqual(CONCURRENT + 2);
    // The server's view: none of this schema's connections is left inside a transaction.
    const { rows } = await pool.query<{ state: string }>(
      `select state from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()`,
      [schema.applicationName],
    );
    expect(rows.filter(({ state }) => state !== 'idle')).toEqual([]);
  }, 180_000);

  it('runs cleanup_old_records: deletes the events past retention and returns the count', async () => {
    const old = new Date(Date.now() - 40 * 24 * 60 * 60 * 1000);
    await database.db.insert(userEvents).values([
      { userId, kind: 'old', createdAt: old },
      { userId, kind: 'old', createdAt: old },
      { userId, kind: 'recent' },
    ]);
    const result = await queues.get('default').apply('cleanup_old_records');
    expect(result).toMatchObject({ deleted: 2 });
    const left = await database.db
      .select({ kind: userEvents.kind })
      .from(userEvents)
      .where(inArray(userEvents.kind, ['old', 'recent']));
    expect(left.map((row) => row.kind)).toEqual(['recent']);
  });
});
