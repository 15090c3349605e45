// The PostgreSQL connections an application opens are all closed with it, even when it is
// closed while its workers are still getting ready: a connection left open keeps the process
// alive after `app.close()`. PostgreSQL only: PGlite has no connections.
import { createHash, randomBytes } from 'node:crypto';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { TaskQueueModule } from '@app/task-queue';
import { EchoModule } from './fixtures/echo.tasks.js';
import { TEST_DATABASE_URL, runSql } from './support/postgres.js';
import { eventually } from './support/redis.js';

const schema = `tqtest_conns_${randomBytes(4).toString('hex')}`;
const applicationName = schema;
const url = new URL(TEST_DATABASE_URL);
url.searchParams.set('application_name', applicationName);

/**
 * This application's sessions on the server: by the name its connections carry, or by the one
 * BullMQ gives the LISTEN connections of workers and event streams (after a digest of the schema).
 */
async function openSessions(): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const tag = createHash('sha1').update(schema).digest('hex').slice(0, 8);
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = $1 OR starts_with(application_name, $2)`,
      [applicationName, `${tag}@`],
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

afterAll(() => runSql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

describe('PostgreSQL connections', () => {
  it('are all closed with an application closed as soon as it started, time after time', async () => {
    for (let round = 0; round < 3; round++) {
      const app = await Test.createTestingModule({
        imports: [
          TaskQueueModule.forRoot({ connection: url.toString(), prefix: schema }),
          EchoModule,
        ],
      }).compile();
      await app.init();
      await app.close();
    }
    // The server notices a closed session within a moment.
    await eventually(async () => ((await openSessions()) === 0 ? true : undefined), 5000);
    // And none is opened late, after the close.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await openSessions()).toBe(0);
  });
});
