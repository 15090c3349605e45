/**
 * Retention on PostgreSQL (issue 30): processing rate, deadlocks and jobs failed after their
 * handler ran, for one build of the module. A queue is pre-filled with no-op jobs, then a worker
 * at the given concurrency drains it with retention on. Runs in a database of its own, so the
 * server's deadlock count is the run's alone. Prints one JSON line.
 *
 *   node dist-bench/bench/retention-probe.js --concurrency=10 --jobs=10000 [--keep=1000]
 *
 * Side by side: build it in two worktrees and run them in turn (interleaved rounds).
 */
import { randomBytes } from 'node:crypto';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { Task, TaskQueueModule, TaskQueues } from '@app/task-queue';

const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const arg = (name: string, fallback: number): number => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
};

const concurrency = arg('concurrency', 10);
const jobs = arg('jobs', 10_000);
const keep = arg('keep', 1000);

let ran = new Map<string, number>();
let onAll: (() => void) | undefined;

@Injectable()
class ProbeTasks {
  @Task({ queue: 'probe' })
  async noop(ctx: { job: { id: string } }) {
    ran.set(ctx.job.id, (ran.get(ctx.job.id) ?? 0) + 1);
    if (ran.size === jobs) onAll?.();
  }
}

@Module({ providers: [ProbeTasks] })
class ProbeModule {}

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

function app(url: string, worker: boolean): Promise<INestApplicationContext> {
  @Module({
    imports: [
      TaskQueueModule.forRoot({
        connection: url,
        prefix: 'probe',
        queues: { probe: { concurrency } },
        defaultQueue: 'probe',
        worker,
        retention: { completed: { count: keep } },
      }),
      ProbeModule,
    ],
  })
  class ProbeApp {}
  return NestFactory.createApplicationContext(ProbeApp, { logger: ['error', 'warn'] });
}

async function main(): Promise<void> {
  const database = `tq_probe_${randomBytes(4).toString('hex')}`;
  const url = SERVER.replace(/\/[^/?]*(\?|$)/, `/${database}$1`);
  await sql(SERVER, `CREATE DATABASE ${database}`);
  try {
    const producer = await app(url, false);
    const queue = producer.get(TaskQueues).get('probe');
    for (let sent = 0; sent < jobs; sent += 1000) {
      const count = Math.min(1000, jobs - sent);
      await queue.enqueueMany(Array.from({ length: count }, () => ({ name: 'noop' })));
    }
    await producer.close();

    const before = await sql<{ deadlocks: string }>(
      url,
      `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`,
    );
    ran = new Map();
    const all = new Promise<void>((resolve) => (onAll = resolve));
    const started = performance.now();
    const worker = await app(url, true);
    await all;
    const ms = performance.now() - started;
    const stats = worker.get(TaskQueues).get('probe');
    for (;;) {
      const { counts } = await stats.stats();
      if (counts.queued + counts.active === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await worker.close();
    const failed = await sql<{ id: string }>(
      url,
      `SELECT id FROM probe.job WHERE state = 'failed'`,
    );
    const after = await sql<{ deadlocks: string }>(
      url,
      `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`,
    );
    const completed = await sql<{ n: string }>(
      url,
      `SELECT count(*) AS n FROM probe.job WHERE state = 'completed'`,
    );
    console.log(
      JSON.stringify({
        concurrency,
        jobs,
        keep,
        jobsPerSecond: Math.round((jobs / ms) * 1000),
        deadlocks: Number(after[0].deadlocks) - Number(before[0].deadlocks),
        failed: failed.length,
        failedAfterRun: failed.filter(({ id }) => ran.has(id)).length,
        ranTwice: [...ran.values()].filter((n) => n > 1).length,
        completedKept: Number(completed[0].n),
      }),
    );
  } finally {
    await sql(SERVER, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

await main();
