// The module's set-based completion (postgres.complete-sql.ts) pinned against BullMQ's own
// functions: the same jobs, completed and claimed in two schemas, one by BullMQ's
// move_to_completed then move_to_active per job, the other by the module's function, must leave
// the same rows and the same events, field by field. Its function for a completion alone is
// pinned against BullMQ's move_to_completed_fetch the same way.
import { Queue, Worker } from 'bullmq';
import type { Pool } from 'pg';
import { installCompletion } from '../libs/task-queue/src/backends/postgres/postgres.complete-install.js';
import {
  COMPLETE_FUNCTION_NAME,
  COMPLETE_ONE_FUNCTION_NAME,
} from '../libs/task-queue/src/backends/postgres/postgres.complete-sql.js';
import { useMigratedPostgres } from './support/postgres-backend.js';

type Row = Record<string, unknown>;

/**
 * One completion: the job, its token, its return value, whether it removes itself, the
 * retention it asks for (BullMQ's keep age and count) and the worker's limiter.
 */
interface Completion {
  id: string;
  token: string;
  value: unknown;
  removeAll?: boolean;
  keepAge?: number;
  keepCount?: number;
  limiter?: { max: number; duration: number };
}

const LOCK_MS = 30_000;
const CLAIMED_AT = 2_000;
const FINISHED_AT = 3_000;

/** Adds jobs to queue `queue`: `plain` of them, then those given by their options. */
interface Added {
  priority?: number;
  delay?: number;
  dedup?: string;
}

async function addJobs(pool: Pool, queue: string, plain: number, more: Added[] = []) {
  const jobs: Added[] = [...Array.from({ length: plain }, () => ({})), ...more];
  for (const [i, opts] of jobs.entries()) {
    await pool.query(
      `SELECT add_job($1, NULL, $2, '{}'::jsonb, $3::jsonb, $4, $5, 1000, 1, NULL, NULL, NULL,
                      $6, NULL, false)`,
      [
        queue,
        `job-${i}`,
        JSON.stringify(opts),
        opts.priority ?? 0,
        opts.delay ?? 0,
        opts.dedup ?? null,
      ],
    );
  }
}

/** Claims `tokens.length` jobs of `queue` as BullMQ's worker does, one per token. */
async function claim(pool: Pool, queue: string, tokens: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const token of tokens) {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM move_to_active($1, $2, $3, $4, 'w', NULL, NULL)`,
      [queue, token, LOCK_MS, CLAIMED_AT],
    );
    ids.push(rows[0].id);
  }
  return ids;
}

/** Each completion's parameters of move_to_completed_fetch, the i-th finished at FINISHED_AT + i. */
const paramsOf = (queue: string, done: Completion[]) =>
  done.map(({ id, token, value, removeAll, keepAge, keepCount, limiter }, i) => [
    queue,
    id,
    token,
    JSON.stringify(value),
    FINISHED_AT + i,
    removeAll ?? false,
    keepAge ?? null,
    keepCount ?? null,
    LOCK_MS,
    FINISHED_AT + i,
    `worker-${i}`,
    limiter?.max ?? null,
    limiter?.duration ?? null,
  ]);

/** BullMQ's move_to_completed for each completion, then its move_to_active for each slot. */
async function byBullMQ(pool: Pool, queue: string, done: Completion[]): Promise<Row[][]> {
  const calls = paramsOf(queue, done);
  for (const p of calls) {
    await pool.query(`SELECT move_to_completed($1, $2, $3, $4::jsonb, $5, $6, $7, $8)`, [
      ...p.slice(0, 8),
    ]);
  }
  const claimed: Row[][] = [];
  for (const p of calls) {
    const { rows } = await pool.query<Row>(
      `SELECT * FROM move_to_active($1, $2, $3, $4, $5, $6, $7)`,
      [p[0], p[2], ...p.slice(8)],
    );
    claimed.push(rows);
  }
  return claimed;
}

/** BullMQ's move_to_completed_fetch for each completion in turn, as a batch outside the common case goes. */
async function byBullMQFetch(pool: Pool, _queue: string, done: Completion[]): Promise<Row[][]> {
  const claimed: Row[][] = [];
  for (const p of paramsOf(_queue, done)) {
    const { rows } = await pool.query<Row>(
      `SELECT * FROM move_to_completed_fetch(
         $1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      p,
    );
    claimed.push(rows);
  }
  return claimed;
}

/** The module's function, for the whole batch in one statement. */
async function byModule(pool: Pool, queue: string, done: Completion[]): Promise<Row[][]> {
  const calls = paramsOf(queue, done);
  const types = ['text', 'text', 'text', 'text', 'bigint', 'boolean', 'bigint', 'integer'];
  const all = [...types, 'bigint', 'bigint', 'text', 'integer', 'bigint'];
  const { rows } = await pool.query<Row>(
    `SELECT r.ord, (r.claimed).* FROM ${COMPLETE_FUNCTION_NAME}(
       ${all.map((type, i) => `$${i + 1}::${type}[]`).join(', ')}) AS r ORDER BY r.ord`,
    all.map((_, i) => calls.map((p) => p[i])),
  );
  return calls.map((_, i) =>
    rows.filter((row) => Number(row.ord) === i + 1).map(({ ord: _ord, ...row }) => row),
  );
}

/**
 * The module's function for one completion, called for each completion in turn, as a worker
 * at concurrency 1 sends them; whether each went on to BullMQ's move_to_completed_fetch (as
 * the server counts the calls of functions in the transaction) is pushed to `wentToBullMQ`.
 */
const oneByOne =
  (wentToBullMQ: boolean[]) =>
  async (pool: Pool, queue: string, done: Completion[]): Promise<Row[][]> => {
    const claimed: Row[][] = [];
    const client = await pool.connect();
    try {
      for (const p of paramsOf(queue, done)) {
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL track_functions = 'pl'`);
          // The calls this session made, not yet sent to the server's statistics (which
          // happens at most once a second, between transactions): before and after this one.
          const calls = async () => {
            const { rows } = await client.query<{ calls: string }>(
              `SELECT coalesce(sum(calls), 0) AS calls FROM pg_stat_xact_user_functions
                WHERE funcname = 'move_to_completed_fetch'`,
            );
            return Number(rows[0].calls);
          };
          const before = await calls();
          const { rows } = await client.query<Row>(
            `SELECT * FROM ${COMPLETE_ONE_FUNCTION_NAME}(
               $1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
            p,
          );
          const after = await calls();
          await client.query('COMMIT');
          wentToBullMQ.push(after > before);
          claimed.push(rows);
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      client.release();
    }
    return claimed;
  };

/** The module's function for one completion, called for each completion in turn on `pool` as it is. */
async function oneAfterAnother(pool: Pool, queue: string, done: Completion[]): Promise<Row[][]> {
  const claimed: Row[][] = [];
  for (const p of paramsOf(queue, done)) {
    const { rows } = await pool.query<Row>(
      `SELECT * FROM ${COMPLETE_ONE_FUNCTION_NAME}(
         $1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      p,
    );
    claimed.push(rows);
  }
  return claimed;
}

/**
 * The job table's rows `run` reads in one transaction of `session` (the counts not yet flushed
 * to the statistics, which happens only between transactions, before and after it).
 */
async function rowsRead(
  session: Pool,
  schema: string,
  run: (session: Pool) => Promise<unknown>,
): Promise<number> {
  const read = async () => {
    const { rows } = await session.query<{ read: string }>(
      `SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) AS read
         FROM pg_stat_xact_user_tables WHERE schemaname = $1 AND relname = 'job'`,
      [schema],
    );
    return Number(rows[0]?.read ?? 0);
  };
  await session.query('BEGIN');
  const before = await read();
  await run(session);
  const after = await read();
  await session.query('COMMIT');
  return after - before;
}

/** Every job of `queue`, and its events but their ids and times. */
async function stateOf(pool: Pool, queue: string) {
  const jobs = await pool.query<Row>(`SELECT * FROM job WHERE queue = $1 ORDER BY seq`, [queue]);
  const events = await pool.query<Row>(
    `SELECT event, data FROM event WHERE queue = $1 ORDER BY id`,
    [queue],
  );
  return { jobs: jobs.rows, events: events.rows };
}

describe("the module's set-based completion on PostgreSQL, against BullMQ's", () => {
  const bullmq = useMigratedPostgres('complete_bullmq');
  const module = useMigratedPostgres('complete_module');
  const later = useMigratedPostgres('complete_later');
  // A schema each: the first calls of each must see a short table.
  const grown = {
    batch: useMigratedPostgres('complete_grown_batch'),
    one: useMigratedPostgres('complete_grown_one'),
  };

  /**
   * Runs the same scenario in both schemas: jobs added, three claimed by tokens a, b and c,
   * then completed as `complete` says (given the claimed ids); the rows and events compared.
   */
  async function compare(
    queue: string,
    add: (pool: Pool) => Promise<void>,
    complete: (ids: string[]) => Completion[],
    reference = byBullMQ,
    mine = byModule,
    schemas = { theirs: bullmq, ours: module },
  ) {
    const outcomes = [];
    for (const [side, run] of [
      [schemas.theirs, reference],
      [schemas.ours, mine],
    ] as const) {
      await add(side.pool);
      const ids = await claim(side.pool, queue, ['a', 'b', 'c']);
      const claimed = await run(side.pool, queue, complete(ids));
      outcomes.push({ claimed, ...(await stateOf(side.pool, queue)) });
    }
    const [theirs, ours] = outcomes;
    expect(ours.jobs).toEqual(theirs.jobs);
    expect(ours.events).toEqual(theirs.events);
    expect(ours.claimed).toEqual(theirs.claimed);
    return ours;
  }

  it('completes and claims as BullMQ does: values, priorities, a due delayed job, a removal', async () => {
    const ours = await compare(
      'common',
      (pool) => addJobs(pool, 'common', 6, [{ priority: 2 }, { delay: 500 }, { priority: 1 }]),
      (ids) => [
        { id: ids[0], token: 'a', value: { sent: true } },
        { id: ids[1], token: 'b', value: null, removeAll: true },
        { id: ids[2], token: 'c', value: 'x' },
      ],
    );
    // Each slot got a job, and the removed job is gone.
    expect(ours.claimed.map((rows) => rows.length)).toEqual([1, 1, 1]);
    expect(ours.events.filter(({ event }) => event === 'completed')).toHaveLength(3);
  }, 30_000);

  it('publishes drained as BullMQ does when the queue runs dry', async () => {
    const ours = await compare(
      'dry',
      (pool) => addJobs(pool, 'dry', 3),
      (ids) => ids.map((id, i) => ({ id, token: 'abc'[i], value: i })),
    );
    expect(ours.events.map(({ event }) => event)).toContain('drained');
  }, 30_000);

  it('leaves a batch with a deduplicated job to BullMQ, job by job', async () => {
    await compare(
      'mixed',
      (pool) => addJobs(pool, 'mixed', 0, [{ dedup: 'once' }, {}, {}, {}, {}]),
      (ids) => ids.map((id, i) => ({ id, token: 'abc'[i], value: i })),
      byBullMQFetch,
    );
  }, 30_000);

  it("is refused on another version of BullMQ's schema: dropped, and the reason given", async () => {
    const { pool, schema } = later;
    // Both functions, the set-based one and the one for a completion alone.
    const installed = () =>
      pool
        .query(
          `SELECT 1 FROM pg_proc WHERE proname = ANY ($1) AND pronamespace = $2::regnamespace`,
          [[COMPLETE_FUNCTION_NAME, COMPLETE_ONE_FUNCTION_NAME], schema],
        )
        .then(({ rowCount }) => rowCount);
    expect(await installed()).toBe(2);
    // As a later BullMQ's migration would leave it: one more row in its ledger.
    const { rows } = await pool.query<Row>(`SELECT * FROM migration ORDER BY version DESC LIMIT 1`);
    const next = { ...rows[0], version: Number(rows[0].version) + 1 };
    const columns = Object.keys(next);
    await pool.query(
      `INSERT INTO migration (${columns.map((c) => `"${c}"`).join(', ')})
       VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(next),
    );
    const client = await pool.connect();
    try {
      await expect(installCompletion(client, schema)).resolves.toMatch(
        new RegExp(`schema '${schema}' is at version ${next.version}.*written for version 11`),
      );
    } finally {
      client.release();
    }
    expect(await installed()).toBe(0);
  }, 30_000);

  it("finds the batch's jobs by their keys: the rows it reads do not grow with the queue", async () => {
    const { pool, schema } = module;
    // A long queue: a plan left to the table's statistics (none yet in a new schema) read
    // every one of its jobs to find the three of the batch.
    await pool.query(
      `SELECT add_job('long', NULL, 'job-' || i, '{}'::jsonb, '{}'::jsonb, 0, 0, 1000, 1, NULL,
                      NULL, NULL, NULL, NULL, false)
         FROM generate_series(1, 2000) AS i`,
    );
    const ids = await claim(pool, 'long', ['a', 'b', 'c']);
    const client = await pool.connect();
    try {
      const done = ids.map((id, i) => ({ id, token: 'abc'[i], value: i }));
      const read = await rowsRead(client as unknown as Pool, schema, (session) =>
        byModule(session, 'long', done),
      );
      expect(read).toBeLessThan(100);
    } finally {
      client.release();
    }
    const { jobs } = await stateOf(pool, 'long');
    expect(jobs.filter((job) => job.state === 'completed')).toHaveLength(3);
    expect(jobs.filter((job) => job.state === 'active')).toHaveLength(3);
  }, 30_000);

  it.each([
    ['in a batch', byModule, 'batch'],
    ['one by one', oneAfterAnother, 'one'],
  ] as const)(
    'still finds the jobs by their keys %s once the queue has grown past the size its first calls saw',
    async (_how, complete, queue) => {
      const { pool, schema } = grown[queue];
      // One session, as a worker's connection: its first calls run on a short queue, so the
      // plans its function caches are made for a table of a few rows (autovacuum off: no
      // analyze comes to replace them).
      await pool.query(
        `SELECT add_job($1, NULL, 'job-' || i, '{}'::jsonb, '{}'::jsonb, 0, 0, 1000, 1, NULL,
                      NULL, NULL, NULL, NULL, false)
         FROM generate_series(1, 40) AS i`,
        [queue],
      );
      const client = await pool.connect();
      try {
        const session = client as unknown as Pool;
        let ids = await claim(session, queue, ['a', 'b', 'c']);
        for (let round = 0; round < 10; round++) {
          const claimed = await complete(
            session,
            queue,
            ids.map((id, i) => ({ id, token: 'abc'[i], value: round })),
          );
          ids = claimed.map((rows) => String(rows[0].id));
        }
        // Then the queue grows long.
        await pool.query(
          `SELECT add_job($1, NULL, 'more-' || i, '{}'::jsonb, '{}'::jsonb, 0, 0, 1000, 1, NULL,
                        NULL, NULL, NULL, NULL, false)
           FROM generate_series(1, 2000) AS i`,
          [queue],
        );
        const done = ids.map((id, i) => ({ id, token: 'abc'[i], value: 'last' }));
        const read = await rowsRead(session, schema, () => complete(session, queue, done));
        expect(read).toBeLessThan(100);
      } finally {
        client.release();
      }
    },
    30_000,
  );

  describe("a completion alone, against BullMQ's move_to_completed_fetch", () => {
    // Schemas of their own: the jobs the other tests add to one side only would shift the
    // sequence that orders jobs (seq) between the two.
    const schemas = {
      theirs: useMigratedPostgres('one_bullmq'),
      ours: useMigratedPostgres('one_module'),
    };
    it('completes and claims as BullMQ does, without its function: values, priorities, a due delayed job, a removal', async () => {
      const wentToBullMQ: boolean[] = [];
      const ours = await compare(
        'one-common',
        (pool) =>
          addJobs(pool, 'one-common', 6, [{ priority: 2 }, { delay: 500 }, { priority: 1 }]),
        (ids) => [
          { id: ids[0], token: 'a', value: { sent: true } },
          { id: ids[1], token: 'b', value: null, removeAll: true },
          { id: ids[2], token: 'c', value: 'x' },
        ],
        byBullMQFetch,
        oneByOne(wentToBullMQ),
        schemas,
      );
      expect(wentToBullMQ).toEqual([false, false, false]);
      expect(ours.claimed.map((rows) => rows.length)).toEqual([1, 1, 1]);
      // The job that removes itself is gone; the events interleave as BullMQ's do.
      expect(ours.jobs).toHaveLength(8);
      expect(ours.events.slice(-6).map(({ event }) => event)).toEqual([
        'completed',
        'active',
        'completed',
        'active',
        'completed',
        'active',
      ]);
    }, 30_000);

    it('publishes drained as BullMQ does when the queue runs dry', async () => {
      const wentToBullMQ: boolean[] = [];
      const ours = await compare(
        'one-dry',
        (pool) => addJobs(pool, 'one-dry', 3),
        (ids) => ids.map((id, i) => ({ id, token: 'abc'[i], value: i })),
        byBullMQFetch,
        oneByOne(wentToBullMQ),
        schemas,
      );
      expect(wentToBullMQ).toEqual([false, false, false]);
      expect(ours.claimed).toEqual([[], [], []]);
      expect(ours.events.map(({ event }) => event)).toContain('drained');
    }, 30_000);

    /** A case outside the common one: what it adds, and what its completions carry. */
    interface Elsewhere {
      add?: (pool: Pool, queue: string) => Promise<unknown>;
      /** Once the jobs are claimed, before they complete. */
      then?: (pool: Pool, queue: string) => Promise<unknown>;
      options?: Partial<Completion>;
      /** Which of the three completions go to BullMQ's function (all by default). */
      toBullMQ?: boolean[];
    }
    const meta = (field: string, value: string) => (pool: Pool, queue: string) =>
      pool.query(`INSERT INTO meta (queue, field, value) VALUES ($1, $2, $3)`, [
        queue,
        field,
        value,
      ]);
    const elsewhere: Record<string, Elsewhere> = {
      'a deduplicated job': {
        add: (pool, queue) => addJobs(pool, queue, 0, [{ dedup: 'once' }, {}, {}, {}]),
        toBullMQ: [true, false, false],
      },
      'a retention kept by count': { options: { keepCount: 1 } },
      'a retention kept by age': { options: { keepAge: 3600 } },
      'a worker with a rate limit': { options: { limiter: { max: 100, duration: 1000 } } },
      'a queue with a global concurrency': { then: meta('concurrency', '5') },
      'a paused queue': { then: meta('paused', '1') },
    };
    it.each(Object.keys(elsewhere))(
      'leaves %s to BullMQ, with the same rows',
      async (name) => {
        const { add, then, options, toBullMQ = [true, true, true] } = elsewhere[name];
        const queue = `one-${name.replace(/\W+/g, '-')}`;
        const wentToBullMQ: boolean[] = [];
        const ours = await compare(
          queue,
          async (pool) => {
            await (add ?? ((p, q) => addJobs(p, q, 4)))(pool, queue);
          },
          (ids) => ids.map((id, i) => ({ id, token: 'abc'[i], value: i, ...options })),
          async (pool, q, done) => {
            await then?.(pool, q);
            return byBullMQFetch(pool, q, done);
          },
          async (pool, q, done) => {
            await then?.(pool, q);
            return oneByOne(wentToBullMQ)(pool, q, done);
          },
          schemas,
        );
        expect(wentToBullMQ).toEqual(toBullMQ);
        expect(ours.jobs.filter((job) => job.state === 'completed').length).toBeGreaterThan(0);
      },
      30_000,
    );

    it("refuses a completion under another job's token with BullMQ's error, and changes nothing", async () => {
      const { pool } = schemas.ours;
      await addJobs(pool, 'one-stolen', 4);
      const ids = await claim(pool, 'one-stolen', ['a', 'b', 'c']);
      const wentToBullMQ: boolean[] = [];
      const stolen = oneByOne(wentToBullMQ)(pool, 'one-stolen', [
        { id: ids[1], token: 'not-b', value: 2 },
      ]);
      await expect(stolen).rejects.toMatchObject({ code: 'BM001', detail: '-6' });
      const { jobs } = await stateOf(pool, 'one-stolen');
      expect(jobs.map((job) => job.state)).toEqual(['active', 'active', 'active', 'waiting']);
    }, 30_000);
  });

  describe("a worker's completions alone", () => {
    const named = useMigratedPostgres('complete_named');

    it('go as a statement the server prepares once per connection, not parses at each call', async () => {
      const { pool, factory, closeFirst } = named;
      const queue = closeFirst(new Queue('named', { connection: pool }, factory));
      await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'n', data: { i } })));
      let done = 0;
      const worker = new Worker('named', async () => null, { connection: pool }, factory);
      await new Promise<void>((resolve) => worker.on('completed', () => ++done === 5 && resolve()));
      await worker.close();
      // Every connection of the pool, idle now: which statements each has prepared.
      const clients = await Promise.all(
        Array.from({ length: pool.totalCount }, () => pool.connect()),
      );
      try {
        const prepared = await Promise.all(
          clients.map(async (client) => {
            const { rows } = await client.query<{ name: string }>(
              'SELECT name FROM pg_prepared_statements',
            );
            return rows.map(({ name }) => name);
          }),
        );
        expect(prepared.flat()).toContain(COMPLETE_ONE_FUNCTION_NAME);
      } finally {
        for (const client of clients) client.release();
      }
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM job WHERE state = 'completed'`,
      );
      expect(rows).toEqual([{ n: 5 }]);
    }, 30_000);
  });

  it("refuses a completion under another job's token as BullMQ does, and changes nothing", async () => {
    const { pool } = module;
    await addJobs(pool, 'stolen', 4);
    const ids = await claim(pool, 'stolen', ['a', 'b', 'c']);
    const stolen = byModule(pool, 'stolen', [
      { id: ids[0], token: 'a', value: 1 },
      { id: ids[1], token: 'not-b', value: 2 },
    ]);
    await expect(stolen).rejects.toMatchObject({ code: 'BM001' });
    const { jobs } = await stateOf(pool, 'stolen');
    expect(jobs.map((job) => job.state)).toEqual(['active', 'active', 'active', 'waiting']);
  }, 30_000);
});
