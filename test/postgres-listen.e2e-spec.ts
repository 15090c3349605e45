// What BullMQ's PostgreSQL backend does with its LISTEN connection, which the module's one
// shared LISTEN connection relies on (libs/task-queue/src/backends/postgres/
// shared-listen.connection.ts): it gets it from getListenClient() only, runs only LISTENs on
// it, names it through setListenClientName() only, and LISTENs again after the connection
// emits `listenerinvalidated`. A BullMQ upgrade that changes any of these fails here.
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, runMigrations, Worker, type PgPoolClient } from 'bullmq';
import pg from 'pg';
import { postgresBackendFactory } from '../libs/task-queue/src/backends/postgres/namespaced.connection.js';
import { PostgresClients } from '../libs/task-queue/src/backends/postgres/postgres.clients.js';
import { PostgresSession } from '../libs/task-queue/src/backends/postgres/postgres.session.js';
import { TEST_DATABASE_URL, runSql } from './support/postgres.js';
import { eventually } from './support/redis.js';

const schema = `tqtest_listen_${randomBytes(4).toString('hex')}`;
const url = new URL(TEST_DATABASE_URL);
url.searchParams.set('options', `-c search_path="${schema}"`);
url.searchParams.set('application_name', schema);
const QUEUE = 'pinned';

/** Every statement sent on a LISTEN connection, and how many were opened. */
const sent: string[] = [];
const opened: pg.Client[] = [];

async function openListenClient(): Promise<PgPoolClient> {
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  opened.push(client);
  const query = client.query.bind(client) as (text: string, ...rest: unknown[]) => unknown;
  return Object.assign(client, {
    query: (text: string, ...rest: unknown[]) => (sent.push(text), query(text, ...rest)),
    release: () => void client.end().catch(() => undefined),
  });
}

/** This test's sessions on the server, by the name its connections carry. */
async function sessions(): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
      [schema],
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

const pool = new pg.Pool({ connectionString: url.toString(), max: 3 });
const session = new PostgresSession(openListenClient);
const factory = postgresBackendFactory({
  pool,
  listen: { session, clients: new PostgresClients(session, pool) },
  listenClient: () => Promise.reject(new Error('a LISTEN connection of its own was asked for')),
  keepAlive: true,
  namedStatements: true,
  schema: { whenReady: () => Promise.resolve(schema) },
});
const connection = { connection: pool };
let queue: Queue;
let events: QueueEvents;
let worker: Worker;

beforeAll(async () => {
  await runSql(`CREATE SCHEMA "${schema}"`);
  const client = await pool.connect();
  try {
    await runMigrations(client, schema);
  } finally {
    client.release();
  }
  queue = new Queue(QUEUE, connection, factory) as unknown as Queue;
  events = new QueueEvents(QUEUE, connection, factory) as unknown as QueueEvents;
  worker = new Worker(
    QUEUE,
    async (job) => ({ doubled: (job.data as { n: number }).n * 2 }),
    connection,
    factory,
  ) as unknown as Worker;
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
});

afterAll(async () => {
  await Promise.all([worker?.close(), events?.close(), queue?.close()]);
  await session.close();
  await pool.end();
  await runSql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

/** Adds a job and waits for its result, through the worker's and the events' LISTENs. */
async function runJob(n: number) {
  const job = await queue.add('double', { n });
  return job.waitUntilFinished(events, 30_000) as Promise<{ doubled: number }>;
}

describe("BullMQ's PostgreSQL backend on the one shared LISTEN connection", () => {
  it('has a worker and an event stream LISTEN on it, and runs nothing else there', async () => {
    await expect(runJob(21)).resolves.toEqual({ doubled: 42 });
    expect(opened).toHaveLength(1);
    const listens = () =>
      new Set(
        sent
          .map((text) => text.replace(/--[^\n]*\n/g, '').trim())
          .filter((text) => text.startsWith('LISTEN')),
      );
    // The event stream sends its LISTEN from its own loop, which may start after a job has run.
    await eventually(() => (listens().size >= 2 ? true : undefined), 10_000, 'both LISTENs');
    const statements = sent.map((text) => text.replace(/--[^\n]*\n/g, '').trim());
    expect(listens()).toEqual(new Set(['LISTEN bullmq_jobs;', 'LISTEN bullmq_events;']));
    expect(new Set(statements.filter((text) => text.startsWith('LISTEN')))).toEqual(
      new Set(['LISTEN bullmq_jobs;', 'LISTEN bullmq_events;']),
    );
    const others = statements.filter(
      (text) => !text.startsWith('LISTEN') && !/pg_advisory_(un)?lock_shared/.test(text),
    );
    expect(others).toEqual([]);
    // The pool and the one LISTEN connection: no object opened one of its own.
    expect(await sessions()).toBeLessThanOrEqual(3 + 1);
  });

  it('finds the worker and the event stream by the names they gave it', async () => {
    await expect(queue.getWorkers()).resolves.toHaveLength(1);
    await expect(queue.getQueueEvents()).resolves.toHaveLength(1);
  });

  it('finds them from a queue object asked before its connection is ready', async () => {
    // BullMQ's getters make the names they look for before the queue's connection is ready,
    // and the names carry the schema, known once it is: a health check's first count on a
    // queue of its own read 0 workers.
    const fresh = new Queue(QUEUE, connection, factory) as unknown as Queue;
    try {
      await expect(fresh.getWorkers()).resolves.toHaveLength(1);
      await expect(fresh.getQueueEvents()).resolves.toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  it('LISTENs again, and registers again, on a new connection after the server ended it', async () => {
    const { processID } = opened[0] as unknown as { processID: number };
    const before = sent.length;
    await runSql(`SELECT pg_terminate_backend(${processID})`);
    await eventually(async () => (opened.length > 1 ? true : undefined), 10_000);
    await expect(runJob(50)).resolves.toEqual({ doubled: 100 });
    const again = sent.slice(before).join('\n');
    expect(again).toContain('LISTEN bullmq_jobs;');
    expect(again).toContain('LISTEN bullmq_events;');
    await eventually(async () => ((await queue.getWorkers()).length === 1 ? true : undefined));
    await expect(queue.getQueueEvents()).resolves.toHaveLength(1);
  });
});
