// PostgreSQL schema migrations: on by default, off with `migrate: false`, then run on purpose by
// TaskQueueMigrator (the example's `npm run tasks -- migrate`). PostgreSQL and PGlite only.
import { Injectable, Module } from '@nestjs/common';
import {
  Task,
  TaskQueueConfigError,
  TaskQueueMigrator,
  TaskQueues,
  type TaskQueueModuleOptions,
} from '@app/task-queue';
import { BACKEND, testBackend } from './support/backend.js';
import { QUIET, startTaskApp } from './support/task-app.js';
import { runTasksCli } from './support/built-app.js';
import { TEST_DATABASE_URL } from './support/postgres.js';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

@Injectable()
class EchoTasks {
  @Task()
  async echo(_ctx: unknown, payload: { word: string }) {
    return payload.word;
  }
}

@Module({ providers: [EchoTasks] })
class EchoModule {}

describe(`migrations on ${BACKEND}`, () => {
  const backend = testBackend('migrate');

  /** Whether the table of event waiters (durable steps) is in the test's schema. */
  const hasWaiterTable = async (): Promise<boolean> => {
    const sql = 'SELECT to_regclass($1) IS NOT NULL AS present';
    const name = `"${backend.prefix}".task_queue_event_waiter`;
    if (backend.kind === 'pglite') {
      const { pglite } = backend.connection as { pglite: PGlite };
      return (await pglite.query<{ present: boolean }>(sql, [name])).rows[0].present;
    }
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      return (await client.query<{ present: boolean }>(sql, [name])).rows[0].present;
    } finally {
      await client.end();
    }
  };

  const start = (options: TaskQueueModuleOptions) =>
    startTaskApp({ backend, imports: [EchoModule], options, logger: QUIET });

  it('with migrate: false, refuses to enqueue on a schema never migrated, saying what to run', async () => {
    const app = await start({ migrate: false, worker: false });
    try {
      const error = await app
        .get(TaskQueues)
        .get('default')
        .enqueue('echo', { word: 'early' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskQueueConfigError);
      expect((error as Error).message).toMatch(
        new RegExp(`schema '${backend.prefix}' is not ready .*TaskQueueMigrator\\.migrate\\(\\)`),
      );
    } finally {
      await app.close();
    }
  });

  it('runs once migrated on purpose, by an application that itself does not migrate', async () => {
    const migrator = await start({ migrate: false, worker: false });
    try {
      expect(await hasWaiterTable()).toBe(false);
      const done = await migrator.get(TaskQueueMigrator).migrate();
      expect(done).toMatchObject({ backend: BACKEND, schema: backend.prefix });
      // The durable steps' table of event waiters comes with BullMQ's schema.
      expect(await hasWaiterTable()).toBe(true);
      expect(done.version).toBeGreaterThan(0);
      // Again: nothing left to do, same version.
      expect(await migrator.get(TaskQueueMigrator).migrate()).toEqual(done);
    } finally {
      await migrator.close();
    }
    const app = await start({ migrate: false });
    try {
      await expect(
        app.get(TaskQueues).get('default').apply('echo', { word: 'migrated' }),
      ).resolves.toBe('migrated');
    } finally {
      await app.close();
    }
  });

  if (BACKEND === 'postgres') {
    it('npm run tasks -- migrate migrates the schema named by TASK_QUEUE_PREFIX', async () => {
      const fresh = testBackend('migrate-cli');
      try {
        const { code, stdout, stderr } = await runTasksCli(['migrate'], fresh.env);
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
        expect(stdout).toMatch(
          new RegExp(`^Schema '${fresh.prefix}' is at BullMQ schema version \\d+\\.$`, 'm'),
        );
      } finally {
        await fresh.cleanup();
      }
    });
  }
});
