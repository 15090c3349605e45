// The PostgreSQL connections an application opens: all closed with it, even when it is closed
// while its workers are still getting ready (a connection left open keeps the process alive
// after `app.close()`), and as many with 50 queues as with one: the query pool and one LISTEN
// connection, whatever the number of workers and event streams. PostgreSQL only: PGlite has no
// connections.
import { createHash, randomBytes } from 'node:crypto';
import { Injectable, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import pg from 'pg';
import { Task, TaskQueueHealth, TaskQueueModule, TaskQueues } from '@app/task-queue';
import { EchoModule } from './fixtures/echo.tasks.js';
import { TEST_DATABASE_URL, runSql } from './support/postgres.js';
import { eventually } from './support/redis.js';

/** The query pool's size in the applications below. */
const POOL_MAX = 5;

/** A schema of its own, and a URL whose connections carry its name as `application_name`. */
function namespace(label: string) {
  const schema = `tqtest_${label}_${randomBytes(4).toString('hex')}`;
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('application_name', schema);
  return { schema, url: url.toString() };
}

/**
 * The sessions on the server of the applications on `schema`: by the name their connections
 * carry, or by the one BullMQ gives LISTEN connections (after a digest of the schema).
 */
async function openSessions(schema: string): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const tag = createHash('sha1').update(schema).digest('hex').slice(0, 8);
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = $1 OR starts_with(application_name, $2)`,
      [schema, `${tag}@`],
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

/** The most sessions seen on `schema` while `work` runs, read every 20 ms. */
async function peakSessions<T>(schema: string, work: () => Promise<T>) {
  let peak = 0;
  let done = false;
  const sampling = (async () => {
    while (!done) {
      peak = Math.max(peak, await openSessions(schema));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    const result = await work();
    return { result, peak };
  } finally {
    done = true;
    await sampling;
  }
}

/** A provider with one task, `echo_<queue>`, on each of `queues`. */
function echoTasksOn(queues: readonly string[]): Type {
  @Injectable()
  class ManyQueuesTasks {}
  for (const queue of queues) {
    const key = `echo_${queue}`;
    Object.defineProperty(ManyQueuesTasks.prototype, key, {
      value: async (_ctx: unknown, payload: object) => ({ queue, payload }),
      configurable: true,
      writable: true,
    });
    const descriptor = Object.getOwnPropertyDescriptor(ManyQueuesTasks.prototype, key)!;
    Task({ name: key, queue })(ManyQueuesTasks.prototype, key, descriptor);
  }
  return ManyQueuesTasks;
}

async function startApp(schema: string, url: string, queues: readonly string[]) {
  const app = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        connection: { postgres: { connectionString: url, max: POOL_MAX } },
        prefix: schema,
        queues: [...queues],
        defaultQueue: queues[0],
      }),
    ],
    providers: [echoTasksOn(queues)],
  }).compile();
  await app.init();
  return app;
}

/** Runs one job on each of `queues` and waits for its result (an event stream per queue). */
async function echoOnEach(app: TestingModule, queues: readonly string[]) {
  const taskQueues = app.get(TaskQueues);
  return Promise.all(
    queues.map((queue) =>
      taskQueues.get(queue).apply(`echo_${queue}`, { on: queue }, { timeout: 60 }),
    ),
  );
}

const schemas: string[] = [];
afterAll(() =>
  Promise.all(schemas.map((schema) => runSql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))),
);

describe('PostgreSQL connections', () => {
  it('are all closed with an application closed as soon as it started, time after time', async () => {
    const { schema, url } = namespace('conns');
    schemas.push(schema);
    for (let round = 0; round < 3; round++) {
      const app = await Test.createTestingModule({
        imports: [TaskQueueModule.forRoot({ connection: url, prefix: schema }), EchoModule],
      }).compile();
      await app.init();
      await app.close();
    }
    // The server notices a closed session within a moment.
    await eventually(async () => ((await openSessions(schema)) === 0 ? true : undefined), 5000);
    // And none is opened late, after the close.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await openSessions(schema)).toBe(0);
  });

  it.each([1, 10, 50])(
    'stay within the pool and two more with %i queues, each worked on and waited on',
    async (count) => {
      const { schema, url } = namespace(`conns${count}`);
      schemas.push(schema);
      const queues = Array.from({ length: count }, (_, index) => `q${index}`);
      const { result: app, peak: booting } = await peakSessions(schema, () =>
        startApp(schema, url, queues),
      );
      try {
        const { result, peak: working } = await peakSessions(schema, () => echoOnEach(app, queues));
        expect(result).toEqual(queues.map((queue) => ({ queue, payload: { on: queue } })));
        // Each queue's worker is still found, by every process, though none has a session of its own.
        const health = await app.get(TaskQueueHealth).check();
        expect(health.queues).toEqual(
          Object.fromEntries(queues.map((queue) => [queue, { workers: 1 }])),
        );
        const sessions = { booting, working, settled: await openSessions(schema) };
        // The query pool, the LISTEN connection, and one for the schedules' locks at boot.
        const over = Object.entries(sessions).filter(([, n]) => n > POOL_MAX + 2);
        expect(over).toEqual([]);
      } finally {
        await app.close();
      }
    },
    180_000,
  );

  it("count every application's workers, each application on one LISTEN connection", async () => {
    const { schema, url } = namespace('connsreplicas');
    schemas.push(schema);
    const queues = ['q0', 'q1', 'q2'];
    const first = await startApp(schema, url, queues);
    const second = await startApp(schema, url, queues);
    try {
      const health = first.get(TaskQueueHealth);
      const workers = async () =>
        Object.values((await health.check()).queues).map((queue) => queue.workers);
      // Workers register as they get ready, which may be just after the application is.
      await eventually(async () => ((await workers()).every((n) => n === 2) ? true : undefined));
      await second.close();
      expect(await workers()).toEqual([1, 1, 1]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
