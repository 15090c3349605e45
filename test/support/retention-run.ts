// One run of the retention check (issue 30), shared by the e2e spec and the faults suite: no-op
// jobs on queues worked at concurrency 1, 10 and 50 with the module's default retention, each
// queue filled and drained in turn. Counted from the handler's own runs, the jobs' final states
// and the server's deadlock count for the run's database.
import { Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import pg from 'pg';
import { Task, TaskQueues } from '@app/task-queue';

/** The queues of the run and their concurrency. */
export const RUN_QUEUES = {
  c1: { concurrency: 1 },
  c10: { concurrency: 10 },
  c50: { concurrency: 50 },
} as const;

type RunQueue = keyof typeof RUN_QUEUES;

/** Jobs enqueued per `enqueueMany` call. */
const CHUNK = 1000;

export interface QueueCount {
  /** Jobs whose handler ran (at least once). */
  ran: number;
  /** Jobs whose handler ran more than once. */
  ranTwice: number;
  /** Jobs that ended failed. */
  failed: number;
  /** Jobs that ended failed although their handler had run (and returned). */
  failedAfterRun: number;
}

export interface RetentionRunResult {
  /** Deadlocks the server counted in the run's database while the run went on. */
  deadlocks: number;
  perQueue: Record<RunQueue, QueueCount>;
}

export interface RetentionRunOptions {
  /** The run's database, of its own: the server counts deadlocks per database. */
  url: string;
  /** The application's schema in that database. */
  schema: string;
  /** Jobs per queue. */
  jobs: number;
  /** Starts the application with these imports and `queues: RUN_QUEUES`, in its own schema. */
  start: (imports: Type[]) => Promise<INestApplicationContext>;
}

/** What a run without a fault reads: no deadlock, each job's handler run once, none failed. */
export function cleanRun(jobs: number): RetentionRunResult {
  const clean = { ran: jobs, ranTwice: 0, failed: 0, failedAfterRun: 0 };
  return {
    deadlocks: 0,
    perQueue: { c1: clean, c10: { ...clean }, c50: { ...clean } },
  };
}

/** Runs the check; the application started is closed before the counts are read. */
export async function retentionRun({
  url,
  schema,
  jobs,
  start,
}: RetentionRunOptions): Promise<RetentionRunResult> {
  const runs = new Map<string, number>();

  @Injectable()
  class NoopTasks {
    @Task({ queue: 'c1' })
    async c1(ctx: { job: { id: string } }) {
      runs.set(`c1:${ctx.job.id}`, (runs.get(`c1:${ctx.job.id}`) ?? 0) + 1);
    }

    @Task({ queue: 'c10' })
    async c10(ctx: { job: { id: string } }) {
      runs.set(`c10:${ctx.job.id}`, (runs.get(`c10:${ctx.job.id}`) ?? 0) + 1);
    }

    @Task({ queue: 'c50' })
    async c50(ctx: { job: { id: string } }) {
      runs.set(`c50:${ctx.job.id}`, (runs.get(`c50:${ctx.job.id}`) ?? 0) + 1);
    }
  }

  @Module({ providers: [NoopTasks] })
  class NoopModule {}

  const before = await deadlocksIn(url);
  const app = await start([NoopModule]);
  let failedIds: Record<string, string[]>;
  try {
    const queues = app.get(TaskQueues);
    for (const name of Object.keys(RUN_QUEUES) as RunQueue[]) {
      const queue = queues.get(name);
      for (let sent = 0; sent < jobs; sent += CHUNK) {
        const count = Math.min(CHUNK, jobs - sent);
        await queue.enqueueMany(Array.from({ length: count }, () => ({ name })));
      }
      await drained(() => queue.stats());
    }
    failedIds = await failedJobs(url, schema);
  } finally {
    await app.close();
  }
  const perQueue = {} as Record<RunQueue, QueueCount>;
  for (const name of Object.keys(RUN_QUEUES) as RunQueue[]) {
    const counts = [...runs].filter(([key]) => key.startsWith(`${name}:`));
    const failed = failedIds[name] ?? [];
    perQueue[name] = {
      ran: counts.length,
      ranTwice: counts.filter(([, times]) => times > 1).length,
      failed: failed.length,
      failedAfterRun: failed.filter((id) => runs.has(`${name}:${id}`)).length,
    };
  }
  return { deadlocks: (await deadlocksIn(url)) - before, perQueue };
}

/** Waits until the queue has nothing left to run. */
async function drained(
  stats: () => Promise<{ counts: Record<'queued' | 'scheduled' | 'active', number> }>,
): Promise<void> {
  for (;;) {
    const { counts } = await stats();
    if (counts.queued + counts.scheduled + counts.active === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The failed jobs' ids per queue, read from BullMQ's table in the run's schema. */
async function failedJobs(url: string, schema: string): Promise<Record<string, string[]>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ queue: string; id: string }>(
      `SELECT queue, id FROM "${schema}".job WHERE state = 'failed'`,
    );
    const byQueue: Record<string, string[]> = {};
    for (const { queue, id } of rows) (byQueue[queue] ??= []).push(id);
    return byQueue;
  });
}

/** The server's deadlock count for the database of `url`. */
function deadlocksIn(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ deadlocks: string }>(
      `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`,
    );
    return Number(rows[0]?.deadlocks ?? 0);
  });
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
