import type { PGlite } from '@electric-sql/pglite';
import { newPGlite } from '../../../../../test/support/pglite.js';
import {
  PostgresConnection,
  PostgresQueueBackend,
  Queue,
  QueueEvents,
  runMigrations,
  Worker,
  type BackendFactory,
  type PostgresConnectionOptions,
} from 'bullmq';
import { PGlitePool } from './pglite.pool.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a failure naming `what` once `ms` have passed: a hang fails the test. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const SET_NAME = `SELECT set_config('application_name', $1, false)`;

describe('PGlitePools sharing one PGlite', () => {
  let db: PGlite;
  const count = async (pool: PGlitePool) =>
    (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM probe')).rows[0].n;

  beforeAll(async () => {
    db = newPGlite();
    await db.query('CREATE TABLE probe (n int)');
  }, 180_000);

  afterAll(() => within(5000, 'closing the PGlite', db.close()));

  it("holds one pool's open transaction against the statements of the others", async () => {
    const [a, b] = [new PGlitePool(db), new PGlitePool(db)];
    const client = await a.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO probe VALUES (1)');
    let seenByB: number | undefined;
    const fromB = count(b).then((n) => (seenByB = n));
    await sleep(50);
    // Run inside the transaction, B's statement would see its row and then roll it back.
    expect(seenByB).toBeUndefined();
    await client.query('COMMIT');
    await within(2000, "pool b's query", fromB);
    expect({ seenByB, kept: await count(a) }).toEqual({ seenByB: 1, kept: 1 });
    client.release();
    await within(2000, 'ending the pools', Promise.all([a.end(), b.end()]));
  });

  it("leaves the turn after a LISTEN or a name sent during another pool's transaction", async () => {
    const [a, b] = [new PGlitePool(db), new PGlitePool(db)];
    await Promise.all([a.query('SELECT 1'), b.query('SELECT 1')]);
    const holder = await a.connect();
    const listener = await b.connect();
    await holder.query('BEGIN');
    // BullMQ's listening client: it names itself, LISTENs, then sends nothing until released.
    const listening = Promise.all([
      listener.query(SET_NAME, ['probe:w:one']),
      listener.query('LISTEN shared_probe'),
    ]);
    await sleep(20);
    await holder.query('COMMIT');
    await within(2000, "b's LISTEN", listening);
    // Had the listener kept b's turn, nothing more of b's would run: its close among them.
    await within(2000, "pool b's next query", b.query('SELECT 1'));
    holder.release();
    listener.release();
    await within(2000, 'ending pool b', b.end());
    await within(2000, 'ending pool a', a.end());
  });

  it('ends while a LISTEN of its own waits for the turn the end has', async () => {
    const pool = new PGlitePool(db);
    await pool.query('SELECT 1');
    const client = await pool.connect();
    const ending = pool.end();
    const listening = client.query('LISTEN late_probe');
    await within(2000, 'ending the pool with a LISTEN waiting', Promise.all([ending, listening]));
    client.release();
  });

  it.each([
    ['a, then b', [0, 1]],
    ['b, then a', [1, 0]],
  ])('ends in either order (%s) while queries wait for their turn', async (_, order) => {
    const pools = [new PGlitePool(db), new PGlitePool(db)];
    const holder = await pools[order[0]].connect();
    await holder.query('BEGIN');
    const waiting = pools.map((pool) => pool.query('SELECT 1 AS one'));
    const ending = order.map((index) => pools[index].end());
    await sleep(20);
    await holder.query('COMMIT');
    holder.release();
    const answers = await within(3000, 'the waiting queries', Promise.all(waiting));
    expect(answers.map(({ rows }) => rows)).toEqual([[{ one: 1 }], [{ one: 1 }]]);
    await within(3000, 'ending the pools', Promise.all(ending));
  });

  it("keeps each pool's search_path, as each pool's connections have their own", async () => {
    await db.exec(`CREATE SCHEMA one; CREATE TABLE one.t (v text); INSERT INTO one.t VALUES ('one');
                   CREATE SCHEMA two; CREATE TABLE two.t (v text); INSERT INTO two.t VALUES ('two');`);
    const one = new PGlitePool(db, { searchPath: 'one' });
    const two = new PGlitePool(db, { searchPath: 'two' });
    const read = async (pool: PGlitePool) =>
      (await pool.query<{ v: string }>('SELECT v FROM t')).rows;
    const seen = await Promise.all([read(one), read(two), read(one), read(two)]);
    expect(seen.flat().map(({ v }) => v)).toEqual(['one', 'two', 'one', 'two']);
    await Promise.all([one.end(), two.end()]);
  });
});

describe('BullMQ applications sharing one PGlite', () => {
  const schema = 'bullmq';
  let db: PGlite;

  beforeAll(async () => {
    db = newPGlite();
    // Migrated once before: the applications' migrations then only check it, in a transaction.
    const pool = new PGlitePool(db, { searchPath: `"${schema}"` });
    const client = await pool.connect();
    await runMigrations(client, schema);
    client.release();
    await pool.end();
  }, 180_000);

  afterAll(() => within(5000, 'closing the PGlite', db.close()));

  /**
   * What one application holds: its pool, on which it migrates as it starts (in a transaction,
   * as the module does), then a Queue, Worker and QueueEvents (which name their clients and
   * LISTEN).
   */
  async function application(queueName: string, done: Set<string>) {
    const pool = new PGlitePool(db, { searchPath: `"${schema}"` });
    const client = await pool.connect();
    await runMigrations(client, schema);
    client.release();
    const backend: BackendFactory<PostgresQueueBackend, PostgresConnectionOptions> = (
      name,
      opts,
      factoryOpts = {},
    ) => {
      const listenName = factoryOpts.withBlockingConnection
        ? `${name}:w`
        : factoryOpts.blocking
          ? `${name}:qe`
          : undefined;
      return new PostgresQueueBackend(new PostgresConnection(pool), name, opts, true, listenName);
    };
    const connection = { connection: pool };
    const queue = new Queue(queueName, connection, backend);
    const events = new QueueEvents(queueName, connection, backend);
    const worker = new Worker(
      queueName,
      async (job) => void done.add(job.id!),
      { ...connection, concurrency: 5 },
      backend,
    );
    const errors: Error[] = [];
    const record = (err: Error) => void errors.push(err);
    queue.on('error', record);
    events.on('error', record);
    worker.on('error', record);
    await Promise.all([queue, events, worker].map((thing) => thing.waitUntilReady()));
    return {
      queue,
      close: async () => {
        await worker.close();
        await events.close();
        await queue.close();
        await pool.end();
        return errors;
      },
    };
  }

  it.each([
    ['the first started closes first', [0, 1]],
    ['the last started closes first', [1, 0]],
  ])(
    'close in either order (%s) while jobs run',
    async (_, order) => {
      const queueName = `shared-${order.join('')}`;
      const done = new Set<string>();
      // Started together, as replicas are: one's migration meets the other's LISTENs.
      const apps = await within(
        10_000,
        'starting both applications',
        Promise.all([application(queueName, done), application(queueName, done)]),
      );
      const jobs = Array.from({ length: 100 }, (_, n) => ({ name: 'probe', data: { n } }));
      await apps[0].queue.addBulk(jobs);
      const deadline = Date.now() + 20_000;
      while (done.size < jobs.length && Date.now() < deadline) await sleep(20);
      expect(done.size).toBe(jobs.length);
      // More jobs, so that the closes meet statements and transactions of the other application.
      await apps[1].queue.addBulk(jobs.map(({ name, data }) => ({ name, data: { n: -data.n } })));
      for (const index of order) {
        const errors = await within(10_000, `closing application ${index}`, apps[index].close());
        expect(errors).toEqual([]);
      }
    },
    60_000,
  );
});
