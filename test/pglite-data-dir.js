// Makes the data directory of a new PGlite database before Jest starts its workers, unless a run
// before made it with the PGlite installed now: what `initdb` would make for every PGlite a spec
// starts (a few seconds of CPU each), made once.
// The specs start theirs from it (test/support/pglite.ts), and so does the example's embedded
// database (PGLITE_LOAD_DATA_DIR, src/app.config.ts), in Jest and in the processes specs spawn.
// The unit project's globalSetup; the end-to-end projects' (test/global-setup.js) calls it too:
// Jest runs both in one process, where the second call gets the first one's work.
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';

/** Where the data directory is written, read through the variables below. */
const PGLITE_DATA_DIR = new URL('../test-output/pglite-data-dir.tar', import.meta.url);
/** Read by test/support/pglite.ts. */
export const PGLITE_DATA_DIR_VARIABLE = 'TQ_TEST_PGLITE_DATA_DIR';

let made;

export default function pgliteDataDir() {
  return (made ??= make());
}

/**
 * Whether the dump was written after PGlite was installed (the folder of its entry point is made
 * then), by this version then: what `initdb` makes depends on nothing else, so a run after
 * another (a spec run again) keeps it.
 */
async function madeByThisPGlite() {
  const installed = new URL('.', import.meta.resolve('@electric-sql/pglite'));
  try {
    return (await stat(PGLITE_DATA_DIR)).mtimeMs > (await stat(installed)).mtimeMs;
  } catch {
    return false;
  }
}

async function make() {
  if (!(await madeByThisPGlite())) await dump();
  // Set before Jest starts its workers, which inherit them (and pass them to their children).
  process.env[PGLITE_DATA_DIR_VARIABLE] = PGLITE_DATA_DIR.pathname;
  process.env.PGLITE_LOAD_DATA_DIR = PGLITE_DATA_DIR.pathname;
}

async function dump() {
  const db = new PGlite();
  try {
    // dumpDataDir on a database still starting never settles.
    await db.waitReady;
    const dump = await db.dumpDataDir('none');
    await mkdir(new URL('.', PGLITE_DATA_DIR), { recursive: true });
    // Renamed into place once complete: an interrupted run leaves no partial dump to reuse.
    const partial = new URL(`${PGLITE_DATA_DIR.href}.${process.pid}`);
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, PGLITE_DATA_DIR);
  } finally {
    await db.close();
  }
}
