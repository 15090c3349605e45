import { PGlite } from '@electric-sql/pglite';
import { FlowProducer, Queue, type PgPool } from 'bullmq';
import { postgresBackendFactory } from './namespaced.connection.js';
import { routeCommand } from './postgres.command-hook.js';
import { PGlitePool } from './pglite.pool.js';
import {
  ADD_COMMANDS,
  BULLMQ_ADD_STATEMENTS,
  guardedStatement,
  missedTransaction,
} from './postgres.transaction-sql.js';
import { migratedPGlite } from '../../../../../test/support/pglite.js';

/** A statement as BullMQ sends it, without its comments and line breaks. */
const normalized = (text: string) =>
  text
    .replace(/--[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .trim();

// Pins the BullMQ internals postgres.transactions.ts relies on: Queue.add, Queue.addBulk and
// FlowProducer.add send one command each through the backend's private run(command, params),
// by the names ADD_COMMANDS lists, with the statements (and so the parameters) that
// guardedStatement mirrors. The transactional path itself: test/transactions.e2e-spec.ts.
describe("BullMQ's PostgreSQL adds", () => {
  const schema = 'adds';
  let db: PGlite;
  let pool: PGlitePool;
  const statements: Array<{ text: string; params: number }> = [];
  const commands: string[] = [];
  let queue: Queue;
  let flows: FlowProducer;

  beforeAll(async () => {
    ({ db, pool } = await migratedPGlite(schema));
    const recording = {
      ...pool,
      query: (text: string, params?: unknown[]) => {
        statements.push({ text: normalized(text), params: params?.length ?? 0 });
        return pool.query(text, params);
      },
      connect: () => pool.connect(),
    } as unknown as PgPool;
    const module = postgresBackendFactory({
      pool: recording,
      listenClient: () => pool.connect(),
      keepAlive: false,
      namedStatements: false,
      schema: { whenReady: async () => schema },
    });
    const factory: typeof module = (name, opts, factoryOpts) => {
      const backend = module(name, opts, factoryOpts);
      for (const command of ADD_COMMANDS) {
        routeCommand(backend, command, (params, send) => {
          commands.push(command);
          return send(params);
        });
      }
      return backend;
    };
    const connection = { connection: pool };
    queue = new Queue('adds', connection, factory as never);
    flows = new FlowProducer(connection, factory as never);
  }, 180_000);

  afterAll(async () => {
    await queue?.close();
    await flows?.close();
    await pool.end();
    await db.close();
  });

  /** The add statements sent since `from`, as [statement, parameter count]. */
  const sentSince = (from: number) =>
    statements
      .slice(from)
      .filter(({ text }) => Object.values(BULLMQ_ADD_STATEMENTS).includes(text))
      .map(({ text, params }) => [text, params]);

  it('Queue.add sends add_job with 15 parameters', async () => {
    const from = statements.length;
    commands.length = 0;
    await queue.add('one', { n: 1 }, { deduplication: { id: 'k' }, priority: 2, delay: 10 });
    expect(commands).toEqual(['add_job']);
    expect(sentSince(from)).toEqual([[BULLMQ_ADD_STATEMENTS.add_job, 15]]);
  });

  it('Queue.addBulk sends add_jobs_bulk, or add_flow for jobs with a key', async () => {
    const from = statements.length;
    commands.length = 0;
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    await queue.addBulk([{ name: 'c', data: {}, opts: { deduplication: { id: 'c' } } }]);
    expect(commands).toEqual(['add_jobs_bulk', 'add_flow']);
    expect(sentSince(from)).toEqual([
      [BULLMQ_ADD_STATEMENTS.add_jobs_bulk, 2],
      [BULLMQ_ADD_STATEMENTS.add_flow, 1],
    ]);
  });

  it('FlowProducer.add sends the whole tree as one add_flow', async () => {
    const from = statements.length;
    commands.length = 0;
    await flows.add({
      name: 'parent',
      queueName: 'adds',
      children: [{ name: 'child', queueName: 'adds' }],
    });
    expect(commands).toEqual(['add_flow']);
    expect(sentSince(from)).toEqual([[BULLMQ_ADD_STATEMENTS.add_flow, 1]]);
  });

  it('the guarded statements add only in a transaction that has an id', async () => {
    const job: unknown[] = ['adds', '', 'guarded', '{}', '{}', 0, 0, Date.now(), 1];
    job.push(null, null, null, null, null, false);
    const entries = JSON.stringify([
      { queue: 'adds', id: '', name: 'bulk', data: {}, opts: {}, priority: 0, delay: 0 },
    ]);
    const params = { add_job: job, add_jobs_bulk: ['adds', entries], add_flow: [entries] };
    for (const command of ADD_COMMANDS) {
      const text = guardedStatement(command, `"${schema}"`);
      // Outside BEGIN every statement is a transaction of its own, with no id yet.
      expect(missedTransaction(command, (await db.query(text, params[command])).rows)).toBe(true);
      const [fresh, given] = await db.transaction(async (tx) => {
        const before = (await tx.query(text, params[command])).rows;
        await tx.query('SELECT txid_current()');
        return [before, (await tx.query(text, params[command])).rows];
      });
      expect(missedTransaction(command, fresh)).toBe(true);
      expect(missedTransaction(command, given)).toBe(false);
    }
  });
});
