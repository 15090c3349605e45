// The example app on either database, as a user starts it: with no DATABASE_URL on the embedded
// PGlite, with one on PostgreSQL (a schema of this file's own). Both migrate at start, run
// update_user_status from its HTTP route, and close the database when the app closes.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { eq } from 'drizzle-orm';
import { AppModule } from '../src/app.module.js';
import { Database, EmbeddedDatabase, PostgresDatabase } from '../src/database/database.js';
import { userEvents, users } from '../src/database/schema.js';
import { createSchema, type TestSchema } from './support/postgres.js';
import { enqueueAndFinish } from './support/http.js';
import { deleteKeys, uniquePrefix } from './support/redis.js';

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
    const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
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
] as const)('the example app on %s', (_label, driver) => {
  const prefix = uniquePrefix(`example-${driver}`);
  let schema: TestSchema | undefined;
  let app: INestApplication;
  let database: Database;

  beforeAll(async () => {
    if (driver === 'postgres') schema = await createSchema('example');
    app = await bootApp({ TASK_QUEUE_PREFIX: prefix, DATABASE_URL: schema?.url });
    database = app.get(Database);
  });

  afterAll(async () => {
    await app?.close();
    await deleteKeys(prefix);
    await schema?.drop();
  });

  it('uses that database, migrated at start with the demo users', async () => {
    expect(database).toBeInstanceOf(driver === 'pglite' ? EmbeddedDatabase : PostgresDatabase);
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

  it('closes the database when the app closes', async () => {
    await app.close();
    if (database instanceof PostgresDatabase) expect(database.pool.ended).toBe(true);
    if (database instanceof EmbeddedDatabase) expect(database.pglite.closed).toBe(true);
  });
});
