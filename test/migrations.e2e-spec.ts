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
      const done = await migrator.get(TaskQueueMigrator).migrate();
      expect(done).toMatchObject({ backend: BACKEND, schema: backend.prefix });
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
