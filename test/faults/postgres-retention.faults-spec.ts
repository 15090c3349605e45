// Issue 30's count in full: 30 000 no-op jobs at each of concurrency 1, 10 and 50 with retention
// on, on a private PostgreSQL server (its deadlock count is this run's alone): no deadlock, no
// handler run twice, no job failed after its handler ran. The e2e spec runs a smaller count.
import { randomBytes } from 'node:crypto';
import { TaskQueueModule } from '@app/task-queue';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { cleanRun, retentionRun, RUN_QUEUES } from '../support/retention-run.js';
import { privatePostgres, type PrivatePostgres } from './postgres-server.js';

const JOBS = Number(process.env.TQ_RETENTION_JOBS ?? 30_000);

describe('retention under concurrency, in full (private PostgreSQL)', () => {
  let server: PrivatePostgres;

  beforeAll(async () => {
    server = await privatePostgres();
  }, 120_000);

  afterAll(() => server?.destroy(), 60_000);

  it(
    `runs ${JOBS} jobs at c1, c10 and c50: no deadlock, every handler run once, no job failed`,
    async () => {
      const schema = `faults_retention_${randomBytes(4).toString('hex')}`;
      const result = await retentionRun({
        url: server.url,
        schema,
        jobs: JOBS,
        start: async (imports) => {
          const moduleRef = await Test.createTestingModule({
            imports: [
              TaskQueueModule.forRoot({
                connection: server.url,
                prefix: schema,
                queues: RUN_QUEUES,
                defaultQueue: 'c1',
              }),
              ...imports,
            ],
          }).compile();
          return moduleRef.init();
        },
      });
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      expect(result).toEqual(cleanRun(JOBS));
    },
    45 * 60_000,
  );
});
