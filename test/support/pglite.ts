// A new in-memory PGlite database for a spec, unit or end-to-end.
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';

/**
 * A new in-memory PGlite database. Started from the data directory that test/pglite-data-dir.js
 * made with a new PGlite, when there is one: the same database, without running `initdb` again.
 */
export function newPGlite(): PGlite {
  const dataDir = process.env.TQ_TEST_PGLITE_DATA_DIR;
  return dataDir === undefined
    ? new PGlite()
    : new PGlite({ loadDataDir: new Blob([readFileSync(dataDir)]) });
}
