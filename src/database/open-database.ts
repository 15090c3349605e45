import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { EmbeddedDatabase, PostgresDatabase, type Database } from './database.js';

/** How {@link openDatabase} connects to PostgreSQL, or prepares PGlite. */
export interface OpenDatabaseOptions {
  /** Tags the pool's connections in `pg_stat_activity`; the URL's `application_name` wins. */
  applicationName?: string;
  /** Most connections at once, default 10: one per job that holds a transaction, as many as workers run. */
  poolSize?: number;
  /**
   * PGlite only: a file written by PGlite's `dumpDataDir()` to start from, instead of creating the
   * data directory (`initdb`) at every start.
   */
  loadDataDir?: string;
}

/**
 * Connects to `url` (PostgreSQL) and migrates. Without one, PGlite in memory, started and
 * migrated at its first use; `loadDataDir` is checked now, so that an unreadable file fails here.
 */
export async function openDatabase(
  url: string | undefined,
  {
    applicationName = 'nest-task-queue-example',
    poolSize = 10,
    loadDataDir,
  }: OpenDatabaseOptions = {},
): Promise<Database> {
  if (!url) {
    if (loadDataDir === undefined) return new EmbeddedDatabase(() => PGlite.create());
    await fromDataDirDump(loadDataDir, (path) => access(path, constants.R_OK));
    return new EmbeddedDatabase(async () =>
      PGlite.create({ loadDataDir: new Blob([await fromDataDirDump(loadDataDir, readFile)]) }),
    );
  }
  const database = new PostgresDatabase(
    new pg.Pool({ connectionString: url, application_name: applicationName, max: poolSize }),
  );
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** `read` of the dump at `path`, for PGlite's `loadDataDir`; a failure is an error naming it. */
async function fromDataDirDump<T>(path: string, read: (path: string) => Promise<T>): Promise<T> {
  try {
    return await read(path);
  } catch (error) {
    throw new Error(
      `Cannot read the PGlite data directory dump ${path} (PGLITE_LOAD_DATA_DIR): ` +
        `${(error as Error).message}. Give a file written by PGlite's dumpDataDir(), or unset ` +
        'the variable to let PGlite create the database.',
      { cause: error },
    );
  }
}
