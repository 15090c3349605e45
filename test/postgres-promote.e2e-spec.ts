// A promote that races a worker's claim of the same delayed job. BullMQ's own `promote` reads
// the job's state without a lock, then updates the row by its id alone: a claim committed in
// between is set back to `waiting`, and the job runs twice. PostgreSQL only: PGlite has one
// session, so no claim can be in flight while a promote runs.
import { Queue } from 'bullmq';
import pg from 'pg';
import { TEST_DATABASE_URL } from './support/postgres.js';
import { useMigratedPostgres } from './support/postgres-backend.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('promoting a delayed job on PostgreSQL', () => {
  const { schema, pool, factory, closeFirst } = useMigratedPostgres('promote');
  let queue: Queue;

  beforeAll(() => {
    queue = closeFirst(new Queue('race', { connection: pool }, factory) as unknown as Queue);
  });

  /** Resolves once a statement of the pool waits for a row lock: the promote, blocked. */
  async function blockedOnLock(): Promise<void> {
    const probe = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await probe.connect();
    try {
      for (;;) {
        const { rows } = await probe.query(
          `SELECT 1 FROM pg_stat_activity
            WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE '%promote%'`,
          [schema],
        );
        if (rows.length > 0) return;
        await sleep(20);
      }
    } finally {
      await probe.end();
    }
  }

  it('refuses a job claimed while it waited for the row, which stays active with its claim', async () => {
    const job = await queue.add('due', {}, { delay: 60_000 });
    const claimer = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await claimer.connect();
    try {
      await claimer.query('BEGIN');
      // A worker's claim, its clock past the delay: BullMQ's move_to_active promotes the job and
      // takes it, holding its row until the commit.
      const { rows: claimed } = await claimer.query<{ id: string; lock_token: string }>(
        `SELECT id, lock_token FROM "${schema}".move_to_active('race', 'claim', 30000, $1, 'w', NULL, NULL)`,
        [Date.now() + 120_000],
      );
      expect(claimed).toEqual([{ id: job.id, lock_token: 'claim' }]);
      const promoted = job.promote().then(
        () => 'promoted',
        (error: Error) => error.message,
      );
      await blockedOnLock();
      await claimer.query('COMMIT');
      expect(await promoted).toMatch(/not in the delayed state/);
      const { rows } = await pool.query<{ state: string; lock_token: string }>(
        `SELECT state, lock_token FROM job WHERE queue = 'race' AND id = $1`,
        [job.id],
      );
      expect(rows).toEqual([{ state: 'active', lock_token: 'claim' }]);
    } finally {
      await claimer.query('ROLLBACK').catch(() => undefined);
      await claimer.end();
    }
  }, 30_000);
});
