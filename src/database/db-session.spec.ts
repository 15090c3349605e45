import type { Job } from 'bullmq';
import { eq } from 'drizzle-orm';
import type { Database } from './database.js';
import { openDatabase } from './open-database.js';
import { DbSessionClosedError } from './db-session-closed.error.js';
import { DbSession } from './db-session.js';
import { users } from './schema.js';

// A DbSession on the embedded PGlite, driven as the worker drives it: tx() in the body, then one
// of the hooks. PGlite has one connection, so sessions take turns; PostgreSQL is in test/.
describe('DbSession on PGlite', () => {
  let database: Database;
  let jobs = 0;
  const session = () => new DbSession(database, { id: String(++jobs), name: 'probe' } as Job);
  const statusOf = async (id: number) =>
    (await database.db.select().from(users).where(eq(users.id, id)))[0].status;

  beforeAll(async () => {
    // From the data directory the test run made once (test/pglite-data-dir.js), as the example
    // does with PGLITE_LOAD_DATA_DIR; without one, PGlite makes its own.
    database = await openDatabase(undefined, { loadDataDir: process.env.PGLITE_LOAD_DATA_DIR });
  });

  afterAll(async () => {
    await database?.close();
  });

  it('commits on success and rolls back on failure', async () => {
    const committed = session();
    await (await committed.tx()).update(users).set({ status: 'kept' }).where(eq(users.id, 1));
    await committed.onTaskSuccess();
    const rolledBack = session();
    await (await rolledBack.tx()).update(users).set({ status: 'lost' }).where(eq(users.id, 1));
    await rolledBack.onTaskFailure();
    expect(await statusOf(1)).toBe('kept');
  });

  it('runs one transaction at a time: the next begins once the first has committed', async () => {
    const first = session();
    const second = session();
    const firstTx = await first.tx();
    await firstTx.update(users).set({ status: 'first' }).where(eq(users.id, 2));
    let secondOpened = false;
    const secondTx = second.tx().then((tx) => ((secondOpened = true), tx));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(secondOpened).toBe(false);
    await first.onTaskSuccess();
    const [row] = await (await secondTx).select().from(users).where(eq(users.id, 2));
    expect(row.status).toBe('first');
    await second.onTaskSuccess();
  });

  it('refuses queries once rolled back, and tx() too', async () => {
    const late = session();
    const tx = await late.tx();
    await late.onTaskFailure();
    const error = await tx
      .update(users)
      .set({ status: 'late' })
      .where(eq(users.id, 3))
      .catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(DbSessionClosedError);
    await expect(late.tx()).rejects.toThrow(
      /^The DbSession of job \d+ \(probe\) is rolled back: no query can run/,
    );
    expect(await statusOf(3)).toBe('active');
  });

  it('costs nothing when the task never asked for a transaction', async () => {
    const unused = session();
    await unused.onTaskSuccess();
    await expect(unused.tx()).rejects.toThrow(/is committed/);
    expect(await statusOf(3)).toBe('active'); // the connection is free for others
  });
});
