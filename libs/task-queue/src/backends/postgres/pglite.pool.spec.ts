import { PGlite } from '@electric-sql/pglite';
import {
  PostgresConnection,
  PostgresQueueBackend,
  Queue,
  QueueEvents,
  Worker,
  type BackendFactory,
  type Job,
  type PgNotification,
  type PostgresConnectionOptions,
} from 'bullmq';
import { PGlitePool, type PGliteLike } from './pglite.pool.js';
import { migratedPGlite, newPGlite } from '../../../../../test/support/pglite.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `check` to hold, polling, for up to `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('PGlitePool', () => {
  let db: PGlite;
  let pool: PGlitePool;

  beforeAll(async () => {
    db = newPGlite();
    // A real PGlite is a PGliteLike.
    const lite: PGliteLike = db;
    pool = new PGlitePool(lite);
    await pool.query('CREATE TABLE probe (n int)');
  }, 180_000);

  afterAll(async () => {
    await pool.end();
    await db.close();
  });

  it('returns values as node-postgres does, and runs parameterless text as several statements', async () => {
    const { rows, rowCount } = await pool.query(
      `SELECT $1::int8 AS big, 2.50::numeric AS exact, $2::jsonb AS doc, '{"a":[1]}'::json AS j,
              true AS yes, 7::int4 AS small, 1.5::float8 AS ratio, now() AS at, null::int8 AS none`,
      ['9007199254740993', { a: 1 }],
    );
    expect(rowCount).toBe(1);
    const { at, ...values } = rows[0];
    expect(at).toBeInstanceOf(Date);
    expect(values).toEqual({
      big: '9007199254740993',
      exact: '2.50',
      doc: { a: 1 },
      j: { a: [1] },
      yes: true,
      small: 7,
      ratio: 1.5,
      none: null,
    });
    const last = await pool.query(
      'CREATE TEMP TABLE several (x int); INSERT INTO several VALUES (1), (2); SELECT count(*) AS n FROM several',
    );
    expect(last.rows).toEqual([{ n: '2' }]);
  });

  it('gives a transaction the session until COMMIT, and recovers from a failed statement', async () => {
    const a = await pool.connect();
    const b = await pool.connect();
    const count = async () => (await pool.query('SELECT count(*)::int AS n FROM probe')).rows[0].n;

    await a.query('BEGIN');
    await a.query('INSERT INTO probe VALUES ($1)', [1]);
    let seenByB: number | undefined;
    const fromB = b.query('SELECT count(*)::int AS n FROM probe').then(({ rows }) => {
      seenByB = (rows[0] as { n: number }).n;
    });
    const fromPool = count();
    await sleep(50);
    expect(seenByB).toBeUndefined();
    await a.query('INSERT INTO probe VALUES (2)');
    await a.query('COMMIT');
    await fromB;
    // Inside the transaction they would have seen one row.
    expect(seenByB).toBe(2);
    expect(await fromPool).toBe(2);

    await a.query('BEGIN');
    await expect(a.query('SELECT 1 / 0')).rejects.toThrow('division by zero');
    const waiting = pool.query('SELECT 1 AS one');
    await a.query('ROLLBACK');
    expect((await waiting).rows).toEqual([{ one: 1 }]);

    // Released mid-transaction: rolled back for it.
    await a.query('START TRANSACTION');
    await a.query('INSERT INTO probe VALUES (3)');
    a.release();
    expect(await count()).toBe(2);
    b.release();
  });

  it('delivers a NOTIFY to the clients listening on its channel, until UNLISTEN', async () => {
    const a = await pool.connect();
    const b = await pool.connect();
    const seen = { a: [] as PgNotification[], b: [] as PgNotification[] };
    a.on('notification', (message) => seen.a.push(message));
    b.on('notification', (message) => seen.b.push(message));

    await a.query('-- as BullMQ sends it\nLISTEN probe_jobs;\n');
    await b.query('LISTEN "other"');
    await pool.query(`SELECT pg_notify('probe_jobs', 'one'), pg_notify('other', 'two')`);
    await until(() => seen.a.length === 1 && seen.b.length === 1);
    const [pid] = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    expect(seen.a).toEqual([{ channel: 'probe_jobs', payload: 'one', processId: pid.pid }]);
    expect(seen.b).toEqual([{ channel: 'other', payload: 'two', processId: pid.pid }]);

    // Two clients on one channel: one leaving does not silence the other.
    await b.query('LISTEN PROBE_JOBS');
    await b.query('UNLISTEN *');
    await pool.query(`SELECT pg_notify('probe_jobs', 'three'), pg_notify('other', 'four')`);
    await until(() => seen.a.length === 2);

    await a.query('UNLISTEN "probe_jobs"');
    await pool.query(`SELECT pg_notify('probe_jobs', 'five')`);
    await sleep(50);
    expect(seen.a.map(({ payload }) => payload)).toEqual(['one', 'three']);
    expect(seen.b.map(({ payload }) => payload)).toEqual(['two']);
    a.release();
    b.release();
  });

  it('lets timers run while a loop of queries goes on, on the pool and on a client', async () => {
    const client = await pool.connect();
    for (const run of [pool, client]) {
      let fired = false;
      const timer = setTimeout(() => (fired = true), 10);
      const start = Date.now();
      let statements = 0;
      // A PGlite query resolves without the event loop turning: without a yield, the timer
      // would never fire while the loop runs.
      while (!fired && Date.now() - start < 2000) {
        await run.query('SELECT 1');
        statements++;
      }
      clearTimeout(timer);
      expect({ fired, statements: statements > 0 }).toEqual({ fired: true, statements: true });
    }
    client.release();
  });

  it('starts a LISTEN ahead of the statements waiting for the session, as on a connection of its own', async () => {
    const first = await pool.connect();
    const second = await pool.connect();
    const seen = { first: [] as string[], second: [] as string[] };
    first.on('notification', ({ payload }) => seen.first.push(payload ?? ''));
    second.on('notification', ({ payload }) => seen.second.push(payload ?? ''));

    // A channel no client listens on yet: the session's LISTEN goes before the queued NOTIFY.
    const busy = pool.query('SELECT count(*) FROM generate_series(1, 100000)');
    const notified = pool.query(`SELECT pg_notify('queued_probe', 'one')`);
    await first.query('LISTEN queued_probe');
    await Promise.all([busy, notified]);
    await until(() => seen.first.length === 1);

    // A channel the session listens on already: the LISTEN needs no turn at all.
    const busyAgain = pool.query('SELECT count(*) FROM generate_series(1, 100000)');
    const notifiedAgain = pool.query(`SELECT pg_notify('queued_probe', 'two')`);
    await second.query('LISTEN queued_probe');
    await Promise.all([busyAgain, notifiedAgain]);
    await until(() => seen.first.length === 2 && seen.second.length === 1);

    // Behind another client's open transaction: the LISTEN runs once it ends, before the rest.
    const holder = await pool.connect();
    await holder.query('BEGIN');
    const queued = pool.query(`SELECT pg_notify('queued_other', 'three')`);
    const listening = first.query('LISTEN queued_other');
    await holder.query('COMMIT');
    await Promise.all([queued, listening]);
    await until(() => seen.first.length === 3);
    expect(seen).toEqual({ first: ['one', 'two', 'three'], second: ['two'] });
    for (const client of [first, second, holder]) client.release();
  });

  it('keeps application_name per client, as pg_stat_activity lists connections', async () => {
    const [a, b] = [await pool.connect(), await pool.connect()];
    const named = async () => {
      // BullMQ's own query (get_client_list.sql).
      const { rows } = await pool.query<{ application_name: string }>(
        `SELECT application_name FROM pg_stat_activity
          WHERE datname = current_database() AND application_name <> ''`,
      );
      return rows.map((row) => row.application_name).sort();
    };
    const set = `SELECT set_config('application_name', $1, false)`;
    expect((await a.query(set, ['probe:w:one'])).rows).toEqual([{ set_config: 'probe:w:one' }]);
    await b.query(set, ['probe:w:two']);
    expect(await named()).toEqual(['probe:w:one', 'probe:w:two']);
    await a.query(set, ['probe:w:renamed']);
    expect(await named()).toEqual(['probe:w:renamed', 'probe:w:two']);
    a.release();
    await until(async () => (await named()).length === 1);
    expect(await named()).toEqual(['probe:w:two']);
    b.release();
    await until(async () => (await named()).length === 0);
  });

  it('refuses queries once ended', async () => {
    const ended = new PGlitePool(db);
    await ended.end();
    await expect(ended.query('SELECT 1')).rejects.toThrow('end on the pool');
    await expect(ended.connect()).rejects.toThrow('end on the pool');
  });
});

describe('BullMQ on a PGlitePool', () => {
  const schema = 'bullmq';
  let db: PGlite;
  let pool: PGlitePool;
  const errors: Error[] = [];
  const closers: Array<() => Promise<void>> = [];

  // As BullMQ's createPostgresBackend, given our pool (BullMQ then uses its default schema).
  const backend: BackendFactory<PostgresQueueBackend, PostgresConnectionOptions> = (
    name,
    opts,
    factoryOpts = {},
  ) => {
    const { name: workerName } = opts as { name?: string };
    const listenName = factoryOpts.withBlockingConnection
      ? `${name}${workerName ? `:w:${workerName}` : ''}`
      : factoryOpts.blocking
        ? `${name}:qe`
        : undefined;
    return new PostgresQueueBackend(new PostgresConnection(pool), name, opts, true, listenName);
  };

  function open<
    T extends { close(): Promise<void>; on(event: 'error', fn: (err: Error) => void): unknown },
  >(thing: T): T {
    thing.on('error', (err) => errors.push(err));
    closers.push(() => thing.close());
    return thing;
  }

  beforeAll(async () => {
    ({ db, pool } = await migratedPGlite(schema));
  }, 180_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await pool.end();
    await db.close();
    expect(errors).toEqual([]);
  }, 20_000);

  it('processes 2000 jobs at concurrency 50', async () => {
    const queue = open(new Queue('bulk', { connection: pool }, backend));
    const jobs = Array.from({ length: 2000 }, (_, i) => ({ name: 'square', data: { n: i } }));
    await queue.addBulk(jobs);
    const results = new Map<number, number>();
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const worker = open(
      new Worker(
        'bulk',
        async (job: Job<{ n: number }, number>) => job.data.n * job.data.n,
        { connection: pool, concurrency: 50 },
        backend,
      ),
    );
    worker.on('completed', (job, value) => {
      results.set(job.data.n, value);
      if (results.size === jobs.length) done();
    });
    await finished;
    expect([...results].every(([n, value]) => value === n * n)).toBe(true);
    expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 2000, failed: 0 });
  }, 45_000);

  it('lists every worker and event stream of a queue, not only the last one named', async () => {
    const queue = open(new Queue('listed', { connection: pool }, backend));
    const workers = ['one', 'two'].map((name) =>
      open(new Worker('listed', async () => undefined, { connection: pool, name }, backend)),
    );
    const events = [1, 2].map(() => open(new QueueEvents('listed', { connection: pool }, backend)));
    await Promise.all([...workers, ...events].map((thing) => thing.waitUntilReady()));
    await until(async () => (await queue.getQueueEvents()).length === 2);
    expect((await queue.getWorkers()).map(({ name }) => name)).toEqual(['listed', 'listed']);
    expect(await queue.getWorkersCount()).toBe(2);
    await workers[0].close();
    expect(await queue.getWorkersCount()).toBe(1);
  }, 20_000);

  it('runs jobs at a global concurrency limit without starving the event loop', async () => {
    const queue = open(new Queue('narrow', { connection: pool }, backend));
    await queue.setGlobalConcurrency(1);
    await queue.addBulk([1, 2, 3].map((n) => ({ name: 'hold', data: { n } })));
    const done: number[] = [];
    // The handlers wait on a timer while the worker, at the limit, claims again and again.
    const worker = open(
      new Worker(
        'narrow',
        async (job: Job<{ n: number }>) => {
          await sleep(50);
          done.push(job.data.n);
        },
        { connection: pool, concurrency: 3 },
        backend,
      ),
    );
    await until(() => done.length === 3, 10_000);
    await worker.close();
    expect(done.sort()).toEqual([1, 2, 3]);
  }, 20_000);

  it('waits for a job through QueueEvents, retries a failing one, and runs a delayed one after its delay', async () => {
    const queue = open(new Queue('flow', { connection: pool }, backend));
    const events = open(new QueueEvents('flow', { connection: pool }, backend));
    // QueueEvents LISTENs on its first empty read, and BullMQ reads again only after a NOTIFY
    // or its 10 s poll: an event committed before that LISTEN would wait for the poll.
    await until(async () => {
      const { rows } = await pool.query<{ on: boolean }>(
        `SELECT 'bullmq_events' = ANY (ARRAY(SELECT pg_listening_channels())) AS on`,
      );
      return rows[0].on;
    });
    const ranAt = new Map<string, number>();
    open(
      new Worker(
        'flow',
        async (job) => {
          ranAt.set(job.name, Date.now());
          if (job.name === 'fails') throw new Error(`attempt ${job.attemptsMade + 1} failed`);
          return `${job.name} done`;
        },
        { connection: pool },
        backend,
      ),
    );

    const plain = await queue.add('plain', {});
    await expect(plain.waitUntilFinished(events, 5000)).resolves.toBe('plain done');

    const failing = await queue.add('fails', {}, { attempts: 2 });
    await expect(failing.waitUntilFinished(events, 5000)).rejects.toThrow('attempt 2 failed');
    const failed = await queue.getJob(failing.id!);
    expect(failed?.attemptsMade).toBe(2);
    expect(await failed?.getState()).toBe('failed');

    const addedAt = Date.now();
    const delayed = await queue.add('later', {}, { delay: 500 });
    await expect(delayed.waitUntilFinished(events, 5000)).resolves.toBe('later done');
    expect(ranAt.get('later')! - addedAt).toBeGreaterThanOrEqual(500);
  }, 20_000);
});
