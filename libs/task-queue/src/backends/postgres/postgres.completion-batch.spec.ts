import { PGlite } from '@electric-sql/pglite';
import {
  LATEST_SCHEMA_VERSION,
  PostgresQueueBackend,
  Queue,
  runMigrations,
  Worker,
  type Job,
} from 'bullmq';
import { postgresBackendFactory } from './namespaced.connection.js';
import { BATCH_SCHEMA_VERSION, COMPLETE_AND_FETCH } from './postgres.completion-batch.js';
import { PGlitePool } from './pglite.pool.js';

/** Real PostgreSQL (PGlite), BullMQ's own migrations, and the module's backend factory. */
describe('CompletionBatch', () => {
  const schema = 'batch';
  let db: PGlite;
  let pool: PGlitePool;
  /** The statements sent, for counting how completions went out. */
  const sent: string[] = [];
  let factory: ReturnType<typeof postgresBackendFactory>;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    db = new PGlite();
    pool = new PGlitePool(db, { searchPath: `"${schema}"` });
    const client = await pool.connect();
    await runMigrations(client, schema);
    client.release();
    const counted = Object.create(pool) as PGlitePool;
    counted.query = ((text: string, params?: readonly unknown[]) => {
      sent.push(text);
      return pool.query(text, params);
    }) as PGlitePool['query'];
    factory = postgresBackendFactory({
      pool: counted,
      listenClient: () => pool.connect(),
      keepAlive: false,
      schemaReady: async () => schema,
    });
  }, 30_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await pool.end();
    await db.close();
  }, 20_000);

  it("is written for this BullMQ's schema: move_to_completed_fetch and the backend's run() and query() as they were", async () => {
    expect(LATEST_SCHEMA_VERSION).toBe(BATCH_SCHEMA_VERSION);
    const { rows } = await pool.query<{ args: string }>(
      `SELECT pg_get_function_identity_arguments(p.oid) AS args
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.proname = $2`,
      [schema, COMPLETE_AND_FETCH],
    );
    expect(rows.map(({ args }) => args.replace(/\bp_\w+ /g, ''))).toEqual([
      'text, text, text, jsonb, bigint, boolean, bigint, integer, bigint, bigint, text, integer, bigint',
    ]);
    const internals = PostgresQueueBackend.prototype as unknown as Record<string, unknown>;
    expect(typeof internals.run).toBe('function');
    expect(typeof internals.query).toBe('function');
  });

  it('completes the jobs of a worker at concurrency 10 as BullMQ does, in fewer statements than jobs', async () => {
    const queue = new Queue('many', { connection: pool }, factory) as unknown as Queue;
    closers.push(() => queue.close());
    const jobs = Array.from({ length: 200 }, (_, n) => ({ name: 'square', data: { n } }));
    await queue.addBulk(jobs);
    const done = new Set<number>();
    let finished!: () => void;
    const all = new Promise<void>((resolve) => (finished = resolve));
    const worker = new Worker(
      'many',
      async (job: Job<{ n: number }>) => ({ square: job.data.n * job.data.n }),
      { connection: pool, concurrency: 10 },
      factory,
    ) as unknown as Worker;
    closers.push(() => worker.close());
    worker.on('completed', (job: Job<{ n: number }>) => {
      done.add(job.data.n);
      if (done.size === jobs.length) finished();
    });
    sent.length = 0;
    await all;

    expect(await queue.getJobCounts('completed', 'failed', 'active')).toEqual({
      completed: 200,
      failed: 0,
      active: 0,
    });
    const [first, last] = [await queue.getJob('1'), await queue.getJob('200')];
    expect(first?.returnvalue).toEqual({ square: 0 });
    expect(last?.returnvalue).toEqual({ square: 199 * 199 });
    expect(last?.finishedOn).toBeGreaterThanOrEqual(last!.processedOn!);
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM event WHERE queue = 'many' AND event = 'completed'`,
    );
    expect(Number(rows[0].n)).toBe(200);
    const completions = sent.filter((text) => text.includes(COMPLETE_AND_FETCH)).length;
    expect(completions).toBeLessThan(200);
  }, 45_000);

  it("gives each completion of a group that fails its own answer: BullMQ's error for the one whose lock is gone, the next job for the others", async () => {
    const queue = new Queue('mixed', { connection: pool }, factory) as unknown as Queue;
    closers.push(() => queue.close());
    await queue.addBulk(Array.from({ length: 6 }, (_, n) => ({ name: 'job', data: { n } })));
    const backend = factory('mixed', { connection: pool }, {});
    closers.push(() => backend.close());
    const claimed: string[] = [];
    for (const token of ['a', 'b', 'c']) claimed.push((await backend.moveToActive(token))[1]);
    const run = (
      backend as unknown as {
        run(command: string, params: unknown[]): Promise<{ rows: { id: string }[] }>;
      }
    ).run.bind(backend);
    const completion = (id: string, token: string) => [
      'mixed',
      id,
      token,
      'null',
      Date.now(),
      false,
      null,
      null,
      30_000,
      Date.now(),
      null,
      null,
      null,
    ];
    // The first goes alone; the two that come meanwhile go together, one of them with a token
    // that holds no lock.
    const answers = await Promise.allSettled([
      run(COMPLETE_AND_FETCH, completion(claimed[0], 'a')),
      run(COMPLETE_AND_FETCH, completion(claimed[1], 'not-b')),
      run(COMPLETE_AND_FETCH, completion(claimed[2], 'c')),
    ]);

    expect(answers.map(({ status }) => status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((answers[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'BM001' });
    const next = answers.flatMap((answer) =>
      answer.status === 'fulfilled' ? answer.value.rows.map(({ id }) => id) : [],
    );
    expect(next).toHaveLength(2);
    expect(await queue.getJobState(claimed[0])).toBe('completed');
    expect(await queue.getJobState(claimed[1])).toBe('active');
    expect(await queue.getJobState(claimed[2])).toBe('completed');
    for (const id of next) expect(await queue.getJobState(id)).toBe('active');
  }, 30_000);
});
