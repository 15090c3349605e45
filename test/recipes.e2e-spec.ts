// docs/recipes/*.md, run as written: each ORM's per-job session, taken from the recipe's code
// blocks (the Prisma client generated from its schema block), commits with its job, rolls back
// when the task throws or times out, and refuses a query the body sends after that, on the real
// PostgreSQL at TEST_DATABASE_URL.
import { randomBytes } from 'node:crypto';
import { readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable, Module, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import pg from 'pg';
import { Task, TaskQueues, type TaskContext } from 'nestjs-task-queue';
import { TaskQueueTester, TaskQueueTestingModule } from 'nestjs-task-queue/testing';
import { writeBlocks } from '../scripts/check-readme.js';
import { createSchema, runSql, TEST_DATABASE_URL } from './support/postgres.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The recipe's blocks as files under the repo (so their imports resolve), removed afterwards. */
async function extract(recipe: string): Promise<{ dir: string; load: Load }> {
  const dir = join(REPO, '.recipes-run', `${process.pid}-${randomBytes(3).toString('hex')}`);
  const markdown = await readFile(join(REPO, 'docs/recipes', recipe), 'utf8');
  if (!writeBlocks(markdown, dir, recipe)) throw new Error(`prisma generate failed for ${recipe}`);
  return { dir, load: <T>(path: string) => import(join(dir, path)) as Promise<T> };
}

/** What the probe tasks saw: the error of the query sent after the job had timed out. */
interface ProbeResult {
  finished?: boolean;
  late?: unknown;
}

/** Opens the session's transaction and returns a writer that keeps what it got. */
type Writer<S> = (session: S) => Promise<(kind: string) => PromiseLike<unknown>>;

/**
 * Tasks that write through `Session` and then throw, or outlive their 0.3 s timeout and write
 * again through what they got before, recording that late write's error.
 */
function probeModule<S>(Session: Type<S>, open: Writer<S>, result: ProbeResult) {
  @Injectable()
  class Probe {
    @Task('probe_throw')
    async writeThenThrow(_ctx: TaskContext, _payload: object, @Inject(Session) session: S) {
      await (
        await open(session)
      )('before-throw');
      throw new Error(DRIFT);
    }

    @Task({ name: 'probe_late', timeout: 0.3 })
    async writeLate(_ctx: TaskContext, _payload: object, @Inject(Session) session: S) {
      const write = await open(session);
      await write('before-timeout');
      await sleep(800);
      try {
        await write('late');
      } catch (error) {
        result.late = error;
      }
      result.finished = true;
    }
  }
  @Module({ providers: [Probe] })
  class ProbeModule {}
  return ProbeModule;
}

type Load = <T>(path: string) => Promise<T>;

interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

interface Case {
  recipe: string;
  /** Makes the tables, with account 1 (open), and returns the URL the recipe's code reads. */
  database(): Promise<TestDatabase>;
  /** The tables and the events' account column, as the recipe's schema names them. */
  accounts: string;
  events: string;
  accountColumn: string;
  /** The recipe's tasks module, and a probe module writing through the recipe's session. */
  modules(load: Load, probe: ProbeResult): Promise<Type[]>;
  /** The refusal of a query after the rollback, as the ORM reports it. */
  refusal: RegExp;
}

const tablesSql = (accounts: string, events: string, accountColumn: string) =>
  `CREATE TABLE ${accounts} (id serial PRIMARY KEY, status text NOT NULL);
   CREATE TABLE ${events} (id serial PRIMARY KEY, ${accountColumn} int NOT NULL
     REFERENCES ${accounts} (id), kind text NOT NULL);
   INSERT INTO ${accounts} (status) VALUES ('open');`;

/** A schema of its own on the test database, with the tables. */
async function inSchema(label: string, tables: string): Promise<TestDatabase> {
  const schema = await createSchema(label);
  await runSql(`SET search_path = "${schema.name}"; ${tables}`);
  return schema;
}

/** A database of its own, with the tables: Prisma names the schema of its tables itself. */
async function inDatabase(label: string, tables: string): Promise<TestDatabase> {
  const name = `tqtest_${label}_${randomBytes(4).toString('hex')}`;
  await runSql(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const client = new pg.Client(url.toString());
  await client.connect();
  await client.query(tables).finally(() => client.end());
  return {
    url: url.toString(),
    drop: () => runSql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

const DRIFT = 'the task failed after writing';
const refusedBySession =
  /SessionClosedError: The database session of job \d+ \(probe_late\) is rolled back/;

interface TypeOrmLike {
  manager(): Promise<{ insert(target: unknown, values: object): Promise<unknown> }>;
}
interface PrismaLike {
  tx(): Promise<{ accountEvent: { create(args: { data: object }): Promise<unknown> } }>;
}
interface DrizzleLike {
  tx(): Promise<{ insert(table: unknown): { values(values: object): PromiseLike<unknown> } }>;
}

const cases: Case[] = [
  {
    recipe: 'typeorm-session.md',
    accounts: 'accounts',
    events: 'account_events',
    accountColumn: '"accountId"',
    database: () => inSchema('typeorm', tablesSql('accounts', 'account_events', '"accountId"')),
    modules: async (load, probe) => {
      const tasks = await load<{ AccountsModule: Type }>('src/accounts/accounts.tasks.ts');
      const session = await load<{ TypeOrmSession: Type<TypeOrmLike> }>(
        'src/database/typeorm-session.ts',
      );
      const { AccountEvent } = await load<{ AccountEvent: unknown }>(
        'src/accounts/account.entities.ts',
      );
      const write: Writer<TypeOrmLike> = async (db) => {
        const manager = await db.manager();
        return (kind) => manager.insert(AccountEvent, { accountId: 1, kind });
      };
      return [tasks.AccountsModule, probeModule(session.TypeOrmSession, write, probe)];
    },
    refusal: refusedBySession,
  },
  {
    recipe: 'prisma-session.md',
    accounts: '"Account"',
    events: '"AccountEvent"',
    accountColumn: '"accountId"',
    database: () => inDatabase('prisma', tablesSql('"Account"', '"AccountEvent"', '"accountId"')),
    modules: async (load, probe) => {
      const tasks = await load<{ AccountsModule: Type }>('src/accounts/accounts.tasks.ts');
      const session = await load<{ PrismaSession: Type<PrismaLike> }>(
        'src/database/prisma-session.ts',
      );
      const write: Writer<PrismaLike> = async (db) => {
        const tx = await db.tx();
        return (kind) => tx.accountEvent.create({ data: { accountId: 1, kind } });
      };
      return [tasks.AccountsModule, probeModule(session.PrismaSession, write, probe)];
    },
    refusal:
      /Transaction already closed: A query cannot be executed on a transaction that was rolled back/,
  },
  {
    recipe: 'drizzle-session.md',
    accounts: 'accounts',
    events: 'account_events',
    accountColumn: 'account_id',
    database: () => inSchema('drizzle', tablesSql('accounts', 'account_events', 'account_id')),
    modules: async (load, probe) => {
      const tasks = await load<{ AccountsModule: Type }>('src/accounts/accounts.tasks.ts');
      const session = await load<{ DrizzleSession: Type<DrizzleLike> }>(
        'src/database/drizzle-session.ts',
      );
      const { accountEvents } = await load<{ accountEvents: unknown }>(
        'src/accounts/accounts.schema.ts',
      );
      const write: Writer<DrizzleLike> = async (db) => {
        const tx = await db.tx();
        return (kind) => tx.insert(accountEvents).values({ accountId: 1, kind });
      };
      return [tasks.AccountsModule, probeModule(session.DrizzleSession, write, probe)];
    },
    // Drizzle wraps the session's error in a DrizzleQueryError, as its cause.
    refusal: refusedBySession,
  },
];

describe.each(cases)('$recipe', (testCase) => {
  let extracted: { dir: string; load: Load } | undefined;
  let database: TestDatabase | undefined;
  let moduleRef: TestingModule | undefined;
  let client: pg.Client;
  const probe: ProbeResult = {};
  const databaseUrl = process.env.DATABASE_URL;

  beforeAll(async () => {
    extracted = await extract(testCase.recipe);
    database = await testCase.database();
    process.env.DATABASE_URL = database.url; // the recipes' connections read it
    moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueTestingModule.forRoot(),
        ...(await testCase.modules(extracted.load, probe)),
      ],
    }).compile();
    moduleRef.useLogger(['error']);
    await moduleRef.init();
    client = new pg.Client(database.url);
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await moduleRef?.close(); // before the drop: the recipe's pool closes at shutdown
    await database?.drop();
    if (extracted) await rm(extracted.dir, { recursive: true, force: true });
    await rmdir(join(REPO, '.recipes-run')).catch(() => undefined); // only once empty
    if (databaseUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = databaseUrl;
  });

  const app = () => {
    if (!moduleRef) throw new Error(`The application of ${testCase.recipe} did not start`);
    return moduleRef;
  };

  const events = async () =>
    (
      await client.query<{ account: number; kind: string }>(
        `SELECT ${testCase.accountColumn} AS account, kind FROM ${testCase.events} ORDER BY id`,
      )
    ).rows;

  it('commits both writes of closeAccount with its job, and writes nothing for an unknown account', async () => {
    const queue = app().get(TaskQueues).get('default');
    await queue.enqueue('closeAccount', { accountId: 1 });
    await queue.enqueue('closeAccount', { accountId: 99 });
    const jobs = await app().get(TaskQueueTester).drain();
    expect(jobs.map(({ status, error }) => ({ status, error }))).toEqual([
      { status: 'complete', error: null },
      { status: 'failed', error: 'No account 99' },
    ]);
    const { rows } = await client.query(`SELECT status FROM ${testCase.accounts}`);
    expect(rows).toEqual([{ status: 'closed' }]);
    expect(await events()).toEqual([{ account: 1, kind: 'closed' }]);
  });

  it('rolls back when the task throws or times out, and refuses the late write', async () => {
    const queue = app().get(TaskQueues).get('default');
    await queue.enqueue('probe_throw');
    await queue.enqueue('probe_late');
    const jobs = await app().get(TaskQueueTester).drain();
    expect(jobs.map(({ name, status }) => [name, status])).toEqual([
      ['probe_throw', 'failed'],
      ['probe_late', 'failed'],
    ]);
    while (!probe.finished) await sleep(50); // the body outlives its job by 0.5 s
    expect(probe.late).toBeInstanceOf(Error);
    const late = probe.late as Error;
    expect(`${String(late)}\n${String(late.cause)}`).toMatch(testCase.refusal);
    expect(await events()).toEqual([{ account: 1, kind: 'closed' }]);
  });
});
