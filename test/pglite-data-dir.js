// Makes the data directory of a new PGlite database once per run, before Jest starts its workers:
// what `initdb` would make for every PGlite a spec starts (a few seconds of CPU each), made once.
// The specs start theirs from it (test/support/pglite.ts), and so does the example's embedded
// database (PGLITE_LOAD_DATA_DIR, src/app.config.ts), in Jest and in the processes specs spawn.
// The unit project's globalSetup; the end-to-end projects' (test/global-setup.js) calls it too:
// Jest runs both in one process, where the second call gets the first one's work.
import { mkdir, writeFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';

/** Where the data directory is written, read through the variables below. */
const PGLITE_DATA_DIR = new URL('../test-output/pglite-data-dir.tar', import.meta.url);
/** Read by test/support/pglite.ts. */
export const PGLITE_DATA_DIR_VARIABLE = 'TQ_TEST_PGLITE_DATA_DIR';

let made;

export default function pgliteDataDir() {
  return (made ??= make());
}

async function make() {
  const db = new PGlite();
  try {
    // dumpDataDir on a database still starting never settles.
    await db.waitReady;
    const dump = await db.dumpDataDir('none');
    await mkdir(new URL('.', PGLITE_DATA_DIR), { recursive: true });
    await writeFile(PGLITE_DATA_DIR, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await db.close();
  }
  // Set before Jest starts its workers, which inherit them (and pass them to their children).
  process.env[PGLITE_DATA_DIR_VARIABLE] = PGLITE_DATA_DIR.pathname;
  process.env.PGLITE_LOAD_DATA_DIR = PGLITE_DATA_DIR.pathname;
}
