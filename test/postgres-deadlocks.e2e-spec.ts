// A completion that PostgreSQL rolls back to break a deadlock is sent again, rather than failing
// a job whose handler has run. PostgreSQL only: PGlite has one session, so no deadlock.
import { Queue } from 'bullmq';
import pg from 'pg';
import { TEST_DATABASE_URL } from './support/postgres.js';
import { useMigratedPostgres } from './support/postgres-backend.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Runner = { run(command: string, params: unknown[]): Promise<{ rows: unknown[] }> };

describe('finishing a job on PostgreSQL', () => {
  const { schema, pool, factory, closeFirst } = useMigratedPostgres('deadlock');
  let backend: ReturnType<typeof factory>;
  let queue: Queue;

  beforeAll(() => {
    // Made once the schema is there: BullMQ checks it at once.
    backend = closeFirst(factory('dl', { connection: pool }, {}));
    queue = closeFirst(new Queue('dl', { connection: pool }, factory) as unknown as Queue);
  });

  /** Claims the next job with `token` and finishes it, keeping `keep` completed jobs. */
  const complete = async (token: string, keep: number) => {
    const [, id] = (await backend.moveToActive(token)) as [unknown, string];
    const finish = (backend as unknown as Runner).run('move_to_completed', [
      'dl',
      id,
      token,
      'null',
      Date.now(),
      false,
      null,
      keep,
    ]);
    return { id, finish };
  };

  it('is sent again when PostgreSQL rolls it back to break a deadlock, and completes', async () => {
    await queue.addBulk(['older', 'locked', 'victim'].map((name) => ({ name, data: {} })));
    await (
      await complete('t1', 10)
    ).finish;
    const older = await complete('t2', 10);
    await older.finish;
    // Another session holds the completed job that the next completion's retention deletes...
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM "${schema}".job WHERE queue = 'dl' AND id = $1 FOR UPDATE`, [
        older.id,
      ]);
      // ... so this completion waits for it, having updated its own job ...
      const victim = await complete('t3', 1);
      const settled = victim.finish.then(
        () => 'completed',
        (error: { code?: string }) => `failed with ${error.code}`,
      );
      await sleep(300);
      // ... and the other session then waits for that job: a deadlock, which PostgreSQL breaks
      // by rolling back the completion (it has waited longer: its check runs first).
      await other.query(`SELECT 1 FROM "${schema}".job WHERE queue = 'dl' AND id = $1 FOR UPDATE`, [
        victim.id,
      ]);
      await other.query('ROLLBACK');
      expect(await settled).toBe('completed');
      expect(await queue.getJobState(victim.id)).toBe('completed');
      expect(await queue.getJob(older.id)).toBeUndefined();
    } finally {
      await other.end();
    }
  }, 30_000);
});
