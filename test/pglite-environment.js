// The Jest environment of the end-to-end specs on PGlite: one in-memory PGlite per Jest worker,
// booted for the first such spec file the worker runs and lent to every one after it
// (test/support/backend.ts), where each test namespace has a schema of its own, dropped when the
// namespace is cleaned up, as on PostgreSQL's test database. A boot from the prepared data
// directory, and the first statements of a new database, cost more CPU than most tests.
//
// The database lives in this module's realm, not the spec file's: the rows and errors it returns
// are made by this realm's constructors. Every spec on PGlite passes the same with it.
//
// It is closed when Jest ends the worker. An open PGlite keeps a timer (PostgreSQL's for the
// statistics an idle session has still to report, 10 s, which its own firing sets again), so a
// worker that kept it would not exit: Jest would kill it ("A worker process has failed to exit
// gracefully"), and a run in band, which has no worker to end, would never exit. In band, each
// spec file has a database of its own, closed after it.
import { readFileSync } from 'node:fs';
import { TestEnvironment } from 'jest-environment-node';

/** How long a database that should be idle between spec files may take to answer. */
const IDLE_CHECK_MS = 5_000;

/** This worker's database, once a spec file on PGlite asked for it. */
let shared;

/** jest-worker's message to a worker to end (CHILD_MESSAGE_END, not among its exports). */
const CHILD_MESSAGE_END = 2;

/** Whether this process is a Jest worker (a child with a channel to Jest), not a run in band. */
const inWorker = typeof process.send === 'function';

/** Closes the database once Jest ends this worker, which then exits as Jest asked. */
function closeAtEnd(message) {
  if (!Array.isArray(message) || message[0] !== CHILD_MESSAGE_END) return;
  process.off('message', closeAtEnd);
  void shared?.then((db) => db.close());
}
if (inWorker) process.on('message', closeAtEnd);

async function boot() {
  const { PGlite } = await import('@electric-sql/pglite');
  const dataDir = process.env.TQ_TEST_PGLITE_DATA_DIR;
  const db =
    dataDir === undefined
      ? new PGlite()
      : new PGlite({ loadDataDir: new Blob([readFileSync(dataDir)]) });
  await db.waitReady;
  return db;
}

/** Whether `db` answers at once: a spec that left a transaction open holds its one session. */
async function answers(db) {
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, IDLE_CHECK_MS, false)));
  try {
    return await Promise.race([
      db.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export default class PGliteEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    shared ??= boot();
    // Read by test/support/backend.ts.
    this.global.__TQ_WORKER_PGLITE__ = await shared;
  }

  async teardown() {
    const db = await shared;
    // The next spec file gets a new database rather than one that no longer answers (its error
    // is the spec's that left it so, not the next one's).
    const busy = db && !(await answers(db));
    if (busy)
      process.stderr.write('The PGlite a spec file left busy is replaced for the next one.\n');
    if (db && (busy || !inWorker)) {
      shared = undefined;
      // Not awaited: a database left busy may never close.
      void db.close().catch(() => undefined);
    }
    await super.teardown();
  }
}
