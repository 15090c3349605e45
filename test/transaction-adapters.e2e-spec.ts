// The ORM adapters (drizzleTransaction, typeormTransaction, prismaTransaction), each with its
// ORM's own transaction on the real PostgreSQL: the job commits and rolls back with it. On
// PostgreSQL the job is written in the queues' own tables; on Redis into the outbox, in the same
// database, and the relay moves it to Redis after the commit.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { PrismaPg } from '@prisma/adapter-pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { DataSource } from 'typeorm';
import {
  drizzleTransaction,
  InvalidOptionsError,
  prismaTransaction,
  Task,
  TaskQueues,
  typeormTransaction,
  type EnqueuedJob,
  type PrismaTransactionLike,
  type TaskContext,
  type TaskQueue,
  type TaskTransaction,
} from '@app/task-queue';
import { writeBlocks } from '../scripts/check-readme.js';
import { BACKEND, testBackend } from './support/backend.js';
import { runSql, TEST_DATABASE_URL } from './support/postgres.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** Tags of the jobs that ran. */
const ran: string[] = [];

@Injectable()
class AdapterTasks {
  @Task()
  async note(_ctx: TaskContext, { tag }: { tag: string }) {
    ran.push(tag);
  }
}

@Module({ providers: [AdapterTasks] })
class AdapterModule {}

/** The smallest Prisma schema: the adapter needs no model, Prisma needs a generated client. */
const PRISMA_SCHEMA = [
  '```prisma',
  '// prisma/schema.prisma',
  'generator client {',
  '  provider            = "prisma-client"',
  '  output              = "../src/generated/prisma"',
  '  moduleFormat        = "esm"',
  '  importFileExtension = "js"',
  '}',
  'datasource db {',
  '  provider = "postgresql"',
  '}',
  'model Probe {',
  '  id Int @id',
  '}',
  '```',
].join('\n');

interface PrismaLike {
  $transaction<T>(work: (tx: PrismaTransactionLike) => Promise<T>): Promise<T>;
  $disconnect(): Promise<void>;
}

/** One ORM: runs `work` in its transaction, committed, or rolled back by a throw. */
type InTransaction = (
  rollback: boolean,
  work: (tx: TaskTransaction) => Promise<EnqueuedJob>,
) => Promise<EnqueuedJob>;

const ROLLBACK = new Error('roll back');

/** Runs `run` and returns what it returned, or the job it had enqueued before a rollback. */
async function rolledBack(run: InTransaction, queue: TaskQueue, tag: string) {
  let job: EnqueuedJob | undefined;
  await run(
    true,
    async (tx) => (job = await queue.enqueue('note', { tag }, { transaction: tx })),
  ).then(
    () => undefined,
    (error: unknown) => {
      if (error !== ROLLBACK) throw error;
    },
  );
  return job!;
}

describe(`ORM transaction adapters on ${BACKEND === 'redis' ? 'Redis, through the outbox' : 'PostgreSQL'}`, () => {
  const backend = testBackend('txorm');
  // On Redis: the outbox in the ORMs' database, in a schema of this file's own.
  const outboxSchema = `tqtest_txorm_outbox_${randomBytes(4).toString('hex')}`;
  const outbox = { connection: TEST_DATABASE_URL, schema: outboxSchema };
  let app: TestingModule;
  let queue: TaskQueue;
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 3 });
  const typeorm = new DataSource({ type: 'postgres', url: TEST_DATABASE_URL });
  const prismaDir = join(
    REPO,
    '.recipes-run',
    `tx-${process.pid}-${randomBytes(3).toString('hex')}`,
  );
  let prisma: PrismaLike | undefined;

  beforeAll(async () => {
    app = await startTaskApp({
      backend,
      imports: [AdapterModule],
      options: BACKEND === 'redis' ? { outbox } : {},
    });
    queue = app.get(TaskQueues).get('default');
    await typeorm.initialize();
    if (!writeBlocks(PRISMA_SCHEMA, prismaDir, 'prisma schema'))
      throw new Error('prisma generate failed');
    const { PrismaClient } = (await import(join(prismaDir, 'src/generated/prisma/client.ts'))) as {
      PrismaClient: new (options: object) => PrismaLike;
    };
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: TEST_DATABASE_URL }) });
  }, 120_000);

  afterAll(async () => {
    await prisma?.$disconnect();
    await typeorm.destroy();
    await pool.end();
    await rm(prismaDir, { recursive: true, force: true });
    await runSql(`DROP SCHEMA IF EXISTS "${outboxSchema}" CASCADE`);
  });

  const orms: Record<string, InTransaction> = {
    Drizzle: (rollback, work) =>
      drizzle(pool).transaction(async (tx) => {
        const job = await work(drizzleTransaction(tx));
        if (rollback) throw ROLLBACK;
        return job;
      }),
    TypeORM: (rollback, work) =>
      typeorm.transaction(async (manager) => {
        const job = await work(typeormTransaction(manager));
        if (rollback) throw ROLLBACK;
        return job;
      }),
    Prisma: (rollback, work) =>
      prisma!.$transaction(async (tx) => {
        const job = await work(prismaTransaction(tx));
        if (rollback) throw ROLLBACK;
        return job;
      }),
  };

  for (const [orm, run] of Object.entries(orms)) {
    it(`${orm}: the job exists once the transaction commits, and not after a rollback`, async () => {
      const gone = await rolledBack(run, queue, `${orm}-rolled-back`);
      expect(await queue.getJob(gone.id)).toBeUndefined();
      const kept = await run(false, (tx) =>
        queue.enqueue('note', { tag: `${orm}-committed` }, { transaction: tx, priority: 2 }),
      );
      await eventually(async () =>
        (await queue.getJob(kept.id))?.status === 'complete' ? true : undefined,
      );
      expect(ran.filter((tag) => tag.startsWith(orm))).toEqual([`${orm}-committed`]);
    });
  }

  it('refuses what is not in a transaction: TypeORM dataSource.manager', async () => {
    const error = await queue
      .enqueue('note', { tag: 'manager' }, { transaction: typeormTransaction(typeorm.manager) })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toMatch(/it is not inside BEGIN/);
  });
});
