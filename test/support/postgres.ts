import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema of this test file's own, and a URL whose connections use it and carry `applicationName`. */
export interface TestSchema {
  name: string;
  url: string;
  applicationName: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Runs one statement on the test database, on a connection of its own. */
export async function runSql(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * How many times table `table` of schema `schema` was read (sequential and index scans), as the
 * server's statistics count them: each backend adds its reads about once a second.
 */
export async function tableReads(schema: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ reads: string }>(
      `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS reads
         FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2`,
      [schema, table],
    );
    return Number(rows[0]?.reads ?? 0);
  } finally {
    await client.end();
  }
}

/** Creates a uniquely named schema, so test files can share the database and run in parallel. */
export async function createSchema(label: string): Promise<TestSchema> {
  const name = `tqtest_${label}_${randomBytes(4).toString('hex')}`;
  await runSql(`CREATE SCHEMA "${name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  url.searchParams.set('application_name', name);
  return {
    name,
    url: url.toString(),
    applicationName: name,
    drop: () => runSql(`DROP SCHEMA IF EXISTS "${name}" CASCADE`),
  };
}
