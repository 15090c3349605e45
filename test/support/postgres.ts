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
