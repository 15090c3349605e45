// Retention on PostgreSQL under concurrency (issue 30): BullMQ's trim of the finished jobs
// inside each completion waited on, and deadlocked with, the other completions' trims; each
// deadlock failed a job whose handler had already run. In a database of the spec's own, so
// that the server's deadlock count is this spec's alone. The faults suite runs the count with
// 30 000 jobs per concurrency.
import { randomBytes } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import pg from 'pg';
import { Task, TaskQueues } from '@app/task-queue';
import { describeOn, testBackend } from './support/backend.js';
import { runSql, TEST_DATABASE_URL } from './support/postgres.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';
import { cleanRun, retentionRun, RUN_QUEUES } from './support/retention-run.js';

/** Jobs per queue of the count: bounded for `npm test` (a deadlock is rare at this count). */
const JOBS = Number(process.env.TQ_RETENTION_JOBS ?? 1000);

@Injectable()
class HeldTasks {
  @Task({ queue: 'held', retention: { completed: { count: 1 } } })
  async held() {
    return 'done';
  }
}

@Module({ providers: [HeldTasks] })
class HeldModule {}

describeOn(['postgres'], 'retention under concurrency (PostgreSQL)', () => {
  const database = `tq_retention_${randomBytes(4).toString('hex')}`;
  const url = TEST_DATABASE_URL.replace(/\/[^/?]*(\?|$)/, `/${database}$1`);

  beforeAll(() => runSql(`CREATE DATABASE ${database}`));
  afterAll(() => runSql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`), 60_000);

  // The deadlocks start with a completion waiting on an old finished job that another
  // transaction holds (BullMQ's trim deletes the queue's old jobs inside the completion).
  it('a completion never waits on an old finished job that another transaction holds', async () => {
    const backend = { ...testBackend('held'), connection: url };
    const app: TestingModule = await startTaskApp({
      backend,
      imports: [HeldModule],
      options: { queues: ['held'], defaultQueue: 'held' },
    });
    const queue = app.get(TaskQueues).get('held');
    const finished = (id: string) =>
      eventually(async () => ((await queue.getJob(id))?.status === 'complete' ? true : undefined));
    await finished((await queue.enqueue('held')).id);
    // The newest finished job: the next completion's retention drops it.
    const kept = await queue.enqueue('held');
    await finished(kept.id);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      const { rowCount } = await holder.query(
        `SELECT 1 FROM "${backend.prefix}".job WHERE id = $1 FOR UPDATE`,
        [kept.id],
      );
      expect(rowCount).toBe(1);
      const next = await queue.enqueue('held');
      await expect(finished(next.id)).resolves.toBe(true);
      await holder.query('COMMIT');
      // Once let go, the old job goes as its retention says.
      await eventually(async () => ((await queue.getJob(kept.id)) ? undefined : true));
    } finally {
      await holder.end();
      await app.close();
    }
  });

  it(`runs ${JOBS} jobs at c1, c10 and c50 with retention on: no deadlock, every handler run once, no job failed`, async () => {
    const backend = { ...testBackend('retention'), connection: url };
    const result = await retentionRun({
      url,
      schema: backend.prefix,
      jobs: JOBS,
      start: (imports) =>
        startTaskApp({
          backend,
          imports,
          options: { queues: RUN_QUEUES, defaultQueue: 'c1' },
        }),
    });
    expect(result).toEqual(cleanRun(JOBS));
  }, 240_000);
});
