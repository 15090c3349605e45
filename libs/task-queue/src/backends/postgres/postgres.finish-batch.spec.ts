import { Queue, type PostgresQueueBackend } from 'bullmq';
import { COMPLETE_ONE_FUNCTION_NAME } from './postgres.complete-sql.js';
import { BATCHED_COMMAND } from './postgres.finish-batch.js';
import { useMigratedPGlite } from '../../../../../test/support/pglite.js';

type Row = Record<string, unknown>;
type Run = (command: string, params: readonly unknown[]) => Promise<{ rows: Row[] }>;

// Completions sent together go as one statement calling BullMQ's own move_to_completed_fetch
// once per job: pinned here against what BullMQ's function does for each alone.
describe('Completions batched on PostgreSQL', () => {
  const schema = 'batched';
  const pglite = useMigratedPGlite(schema);
  let statements: string[];

  /** A worker's backend on queue `name`, its statements recorded, and a queue with `jobs` added. */
  async function setUp(name: string, jobs: number) {
    const pool = pglite.pool();
    const factory = pglite.factory();
    const queue = new Queue(name, { connection: pool }, factory) as unknown as Queue;
    const added = await queue.addBulk(
      Array.from({ length: jobs }, (_, i) => ({ name: 'job', data: { i } })),
    );
    const backend = factory(name, { connection: pool }, { withBlockingConnection: true });
    const inner = backend as unknown as { query: Run };
    const query = inner.query.bind(backend);
    statements = [];
    inner.query = (text, params) => {
      const one = text.includes(COMPLETE_ONE_FUNCTION_NAME);
      statements.push(text.includes('tq_batch_ord') ? 'batch' : one ? 'one' : 'alone');
      return query(text, params);
    };
    return { queue, backend, ids: added.map((job) => job.id!) };
  }

  /** Claims the next job for `token` as a worker does. */
  async function claim(backend: PostgresQueueBackend, token: string): Promise<string> {
    const [job, id] = (await backend.moveToActive(token)) as [unknown, string];
    expect(job).toBeTruthy();
    return id;
  }

  /** BullMQ's parameters of move_to_completed_fetch for job `id` (run by `token`). */
  const completion = (name: string, id: string, token: string, value: unknown) => [
    name,
    id,
    token,
    JSON.stringify(value),
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

  /**
   * Four jobs of queue `name` (of `jobs` added) claimed by tokens a, b, c and d, then their
   * completions sent at once with `tokens`, the i-th job returning i.
   */
  async function completeFour(name: string, jobs: number, tokens: string[]) {
    const { queue, backend, ids } = await setUp(name, jobs);
    const run = (backend as unknown as { run: Run }).run.bind(backend);
    const active: string[] = [];
    for (const token of ['a', 'b', 'c', 'd']) active.push(await claim(backend, token));
    expect(active).toEqual(ids.slice(0, 4));
    statements = [];
    const results = await Promise.allSettled(
      active.map((id, i) => run(BATCHED_COMMAND, completion(name, id, tokens[i], i))),
    );
    return { queue, backend, ids, active, results };
  }

  it('completes jobs sent together in one statement, each claiming the next in order', async () => {
    const tokens = ['a', 'b', 'c', 'd'];
    const {
      queue,
      backend,
      ids,
      active,
      results: settled,
    } = await completeFour('together', 8, tokens);
    try {
      const results = settled.map((result) => {
        if (result.status === 'rejected') throw result.reason;
        return result.value;
      });
      // The first goes at once, alone (through the module's function for one); the other
      // three, sent while it is on its way, go together.
      expect(statements).toEqual(['one', 'batch']);
      expect(results.map(({ rows }) => rows.map((row) => row.id))).toEqual(
        ids.slice(4, 8).map((id) => [id]),
      );
      expect(results.map(({ rows }) => rows[0].lock_token)).toEqual(tokens);
      for (const [i, id] of active.entries()) {
        const job = await queue.getJob(id);
        expect([await job!.getState(), job!.returnvalue]).toEqual(['completed', i]);
      }
      for (const id of ids.slice(4)) expect(await queue.getJobState(id)).toBe('active');
      // The batch went through the module's set-based function: its completions' events, then
      // its claims' (BullMQ's function per job interleaves them).
      const { rows: events } = await pglite.pool().query<{ event: string; id: string }>(
        `SELECT event, data->>'jobId' AS id FROM event
            WHERE queue = 'together' AND event IN ('completed', 'active') ORDER BY event.id`,
      );
      expect(events.slice(-6)).toEqual([
        { event: 'completed', id: active[1] },
        { event: 'completed', id: active[2] },
        { event: 'completed', id: active[3] },
        { event: 'active', id: ids[5] },
        { event: 'active', id: ids[6] },
        { event: 'active', id: ids[7] },
      ]);
    } finally {
      await backend.close();
      await queue.close();
    }
  }, 60_000);

  it('sends together the completions that follow an answer, whatever their gaps', async () => {
    const { queue, backend, ids } = await setUp('after-answer', 8);
    const run = (backend as unknown as { run: Run }).run.bind(backend);
    const tokens = ['a', 'b', 'c', 'd'];
    const active: string[] = [];
    for (const token of tokens) active.push(await claim(backend, token));
    statements = [];
    const complete = (i: number) =>
      run(BATCHED_COMMAND, completion('after-answer', active[i], tokens[i], i));
    // As a worker's slots do once the answer to their completions came: each finishes its next
    // job some promise steps after the one before.
    const later = async (i: number, steps: number) => {
      for (let step = 0; step < steps; step++) await Promise.resolve();
      return complete(i);
    };
    try {
      // Two on their way; the answer to the first frees two slots, which finish apart.
      const freed = complete(0).then(() => Promise.all([complete(2), later(3, 3)]));
      const [next, second] = await Promise.all([freed, complete(1)]);
      expect([...next, second].map(({ rows }) => rows.map((row) => row.id))).toEqual(
        [ids[6], ids[7], ids[5]].map((id) => [id]),
      );
      expect(statements).toEqual(['one', 'one', 'batch']);
    } finally {
      await backend.close();
      await queue.close();
    }
  }, 60_000);

  it("gives each completion its own outcome when one of the batch fails, as BullMQ's alone", async () => {
    // The third job's lock is another worker's: BullMQ refuses its completion.
    const tokens = ['a', 'b', 'not-c', 'd'];
    const { queue, backend, ids, active, results } = await completeFour('one-fails', 6, tokens);
    try {
      // The batch of the last three fails whole; each of its completions is sent again alone.
      expect(statements).toEqual(['one', 'batch', 'alone', 'alone', 'alone']);
      expect(results.map(({ status }) => status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'BM001' });
      const states = await Promise.all(active.map((id) => queue.getJobState(id)));
      expect(states).toEqual(['completed', 'completed', 'active', 'completed']);
      // Three completions claimed the last two jobs and found none for the third.
      const claimed = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.rows : []));
      expect(claimed.map((row) => row.id)).toEqual(ids.slice(4, 6));
    } finally {
      await backend.close();
      await queue.close();
    }
  }, 60_000);

  // Last: it drops the module's function for one from the schema the tests share.
  it("sends a completion alone as BullMQ does where the schema lacks the module's function", async () => {
    const { queue, backend, ids } = await setUp('without-one', 4);
    const run = (backend as unknown as { run: Run }).run.bind(backend);
    try {
      // A schema migrated without it (migrate: false and no release step yet).
      await pglite.pool().query(`DROP FUNCTION ${COMPLETE_ONE_FUNCTION_NAME}`);
      const first = await claim(backend, 'a');
      statements = [];
      const { rows } = await run(BATCHED_COMMAND, completion('without-one', first, 'a', 1));
      const { rows: next } = await run(
        BATCHED_COMMAND,
        completion('without-one', String(rows[0].id), 'a', 2),
      );
      // The first tried it and went on as BullMQ sends it; the worker's next ones go so at once.
      expect(statements).toEqual(['one', 'alone', 'alone']);
      expect([rows[0].id, next[0].id]).toEqual(ids.slice(1, 3));
      expect(await queue.getJobState(first)).toBe('completed');
      expect(await queue.getJobState(ids[1])).toBe('completed');
    } finally {
      await backend.close();
      await queue.close();
    }
  }, 60_000);
});
