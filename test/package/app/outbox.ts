// The consumer application on Redis with an outbox in PostgreSQL (DATABASE_URL), as
// scripts/test-package.js runs it: jobs enqueued in transactions through a node-postgres client
// and through typeormTransaction, one of each rolled back. Reports one JSON line: which jobs
// ran, and what getJob reads of the rolled-back ones. The adapter wraps a stand-in with TypeORM's
// `EntityManager.query` shape over the same client: installing an ORM here would type-check its
// own declarations (skipLibCheck off), which drizzle-orm's do not pass; the real ORMs are tested
// in test/transaction-adapters.e2e-spec.ts.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool, type PoolClient } from 'pg';
import {
  Task,
  TaskQueueModule,
  TaskQueues,
  type TaskContext,
  typeormTransaction,
  type TaskTransaction,
} from 'nestjs-task-queue';

const ran: string[] = [];

@Injectable()
class OutboxTasks {
  @Task()
  note(_ctx: TaskContext, { tag }: { tag: string }) {
    ran.push(tag);
    return { tag };
  }
}

const schema = `${process.env.TASK_QUEUE_PREFIX ?? 'pkg'}_outbox`.replace(/\W/g, '_');

@Module({
  imports: [
    TaskQueueModule.forRoot({
      connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: process.env.TASK_QUEUE_PREFIX,
      outbox: { connection: process.env.DATABASE_URL!, schema },
    }),
  ],
  providers: [OutboxTasks],
})
class OutboxModule {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const app = await NestFactory.createApplicationContext(OutboxModule, {
    logger: ['error', 'warn'],
  });
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  try {
    const queue = app.get(TaskQueues).get('default');
    const enqueue = (tag: string, transaction: TaskTransaction) =>
      queue.enqueue('note', { tag }, { transaction });

    /** In a node-postgres transaction, committed or rolled back after the enqueue. */
    const inTransaction = async (
      tag: string,
      end: 'COMMIT' | 'ROLLBACK',
      through: (client: PoolClient) => TaskTransaction,
    ) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const job = await enqueue(tag, through(client));
        await client.query(end);
        return job.id;
      } finally {
        client.release();
      }
    };
    const asItIs = (client: PoolClient) => client;
    // What TypeORM's EntityManager.query answers: the rows.
    const asTypeorm = (client: PoolClient) =>
      typeormTransaction({
        query: async (text: string, values?: unknown[]): Promise<unknown[]> =>
          (await client.query<Record<string, unknown>>(text, values)).rows,
      });

    const rolledBack = [
      await inTransaction('pg-rolled-back', 'ROLLBACK', asItIs),
      await inTransaction('typeorm-rolled-back', 'ROLLBACK', asTypeorm),
    ];
    const committed = [
      await inTransaction('pg', 'COMMIT', asItIs),
      await inTransaction('typeorm', 'COMMIT', asTypeorm),
    ];
    const deadline = Date.now() + 20_000;
    while (ran.length < committed.length && Date.now() < deadline) await sleep(100);
    // Longer than the relay's poll: a committed row would have been moved by now.
    await sleep(2500);
    const gone = await Promise.all(rolledBack.map((id) => queue.getJob(id)));
    const done = await Promise.all(committed.map((id) => queue.getJob(id)));
    console.log(
      JSON.stringify({
        ran: [...ran].sort(),
        rolledBack: gone.map((job) => job ?? null),
        committed: done.map((job) => job?.status ?? null),
      }),
    );
  } finally {
    await app.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
