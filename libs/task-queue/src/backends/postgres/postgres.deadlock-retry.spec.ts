import type { PGlite } from '@electric-sql/pglite';
import { newPGlite } from '../../../../../test/support/pglite.js';
import { Queue, runMigrations, Worker } from 'bullmq';
import { postgresBackendFactory } from './namespaced.connection.js';
import { routeCommand } from './postgres.command-hook.js';
import { FINISHING_COMMANDS } from './postgres.deadlock-retry.js';
import { PGlitePool } from './pglite.pool.js';

// Pins the BullMQ internal postgres.command-hook.ts relies on: a worker finishes its jobs through
// the backend's private run(command, params), by the names FINISHING_COMMANDS lists, the job's
// id second. (The retry itself is tested on PostgreSQL: test/postgres-deadlocks.e2e-spec.ts.)
describe("BullMQ's PostgreSQL worker", () => {
  const schema = 'finishing';
  let db: PGlite;
  let pool: PGlitePool;

  beforeAll(async () => {
    db = newPGlite();
    pool = new PGlitePool(db, { searchPath: `"${schema}"` });
    const client = await pool.connect();
    await runMigrations(client, schema);
    client.release();
  }, 180_000);

  afterAll(async () => {
    await pool.end();
    await db.close();
  });

  it('finishes a job, and fails one, through run() by the names the retry routes', async () => {
    const module = postgresBackendFactory({
      pool,
      listenClient: () => pool.connect(),
      keepAlive: false,
      schema: { whenReady: async () => schema },
    });
    const seen: Array<[string, unknown]> = [];
    const factory: typeof module = (name, opts, factoryOpts) => {
      const backend = module(name, opts, factoryOpts);
      for (const command of FINISHING_COMMANDS) {
        routeCommand(backend, command, (params, send) => {
          seen.push([command, params[1]]);
          return send(params);
        });
      }
      return backend;
    };
    const queue = new Queue('finishing', { connection: pool }, factory) as unknown as Queue;
    const done = await queue.add('done', {});
    const fails = await queue.add('fails', {});
    const worker = new Worker(
      'finishing',
      async (job) => {
        if (job.name === 'fails') throw new Error('no');
        return 'ok';
      },
      { connection: pool },
      factory,
    ) as unknown as Worker;
    try {
      const deadline = Date.now() + 10_000;
      while (seen.length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(seen).toEqual([
        [expect.stringMatching(/^move_to_completed(_fetch)?$/), done.id],
        [expect.stringMatching(/^move_to_failed(_fetch)?$/), fails.id],
      ]);
      expect(await queue.getJobState(done.id!)).toBe('completed');
      expect(await queue.getJobState(fails.id!)).toBe('failed');
    } finally {
      await worker.close();
      await queue.close();
    }
  }, 180_000);
});
