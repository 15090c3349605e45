// runWorker and the package's CLI on a user's root module that says `worker: false`
// (test/fixtures/api.module.ts): built worker processes (runWorker, and the CLI's `worker`)
// run its jobs anyway, say where they run, and end by themselves on SIGTERM; the CLI loads the
// module as ES module or CommonJS. In-process, on every backend: runWorker's application, its
// errors, and the signal listeners it leaves behind (none once closed).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { Module } from '@nestjs/common';
import {
  runWorker,
  TaskQueueConfigError,
  TaskQueueModule,
  TaskQueues,
  type TaskJobInfo,
} from '@app/task-queue';
import { ApiTasks } from './fixtures/api.module.js';
import { BACKEND, describeOn, startupWhere, testBackend } from './support/backend.js';
import { CLI, killAllBuilt, REPO, runScript, startScript } from './support/built-app.js';
import { eventually } from './support/redis.js';
import { QUIET, startTaskApp } from './support/task-app.js';
import { TEST_DATABASE_URL } from './support/postgres.js';

jest.setTimeout(240_000);

const backend = testBackend('run_worker');
const FIXTURE = 'dist/test/fixtures/api.module.js';
/** On PostgreSQL, a URL with a password (trust auth ignores it) that no line may show. */
const PASSWORD = 'not-to-be-logged';
const env =
  BACKEND === 'postgres'
    ? {
        ...backend.env,
        TASK_QUEUE_URL: TEST_DATABASE_URL.replace('postgres@', `postgres:${PASSWORD}@`),
      }
    : backend.env;
const cli = (...args: string[]) => runScript(CLI, ['--module', FIXTURE, ...args], env);

/**
 * A job as `queues` (the enqueue-only application in this process) reads it: what a worker
 * process left behind, read without a CLI process of its own (the CLI's `status` has its own
 * spec, tasks-cli).
 */
async function jobOf(queues: TaskQueues, queue: string, id: string): Promise<TaskJobInfo> {
  const job = await queues.get(queue).getJob(id);
  expect(job).toBeDefined();
  return job!;
}

/**
 * Enqueues a `linger` job of `seconds` through `queues` (an enqueue-only application in this
 * process) and resolves its id once a worker runs it. In this process rather than by the CLI:
 * a CLI process per poll can take longer to start on a loaded machine than a short job runs.
 */
async function activeLinger(queues: TaskQueues, seconds: number): Promise<string> {
  const slow = queues.get('slow');
  const { id } = await slow.enqueue('linger', { seconds });
  await eventually(
    async () => ((await slow.getJob(id))?.status === 'active' ? true : undefined),
    120_000,
  );
  return id;
}

afterAll(async () => {
  await killAllBuilt();
  await backend.cleanup();
});

// Several processes share the backend: not PGlite, which lives in one process.
describeOn(['redis', 'postgres'], 'a runWorker process of a module with worker: false', () => {
  // The tests' own enqueue-only application, beside the processes under test.
  let queues: TaskQueues;
  beforeAll(async () => {
    const api = await startTaskApp({
      backend,
      providers: [ApiTasks],
      options: { queues: ['default', 'slow'], worker: false },
      logger: QUIET,
    });
    queues = api.get(TaskQueues);
  });

  it('says where it runs, runs the jobs, ends by itself on SIGTERM saying how many went back', async () => {
    const worker = startScript('dist/test/fixtures/run-worker.main.js', [], {
      ...env,
      WORKER_CONCURRENCY: '2',
      TASK_SHUTDOWN_GRACE_PERIOD: '0.5',
    });
    const where = startupWhere(backend);
    await worker.waitForOutput(
      new RegExp(
        `Worker ready: queues default \\(concurrency 2\\), slow \\(concurrency 2\\) on ${where}; 1 schedule: newYearReport$`,
        'm',
      ),
      120_000,
    );

    // The module says worker: false; runWorker's process runs the job all the same. The three
    // commands at once: none depends on another.
    const [done, failed, listed] = await Promise.all([
      cli('enqueue', 'shout', '--payload', '{"text":"hi"}', '--wait', '--json'),
      cli('enqueue', 'explode', '--payload', '{"why":"on purpose"}', '--wait'),
      cli('schedules', '--json'),
    ]);
    expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(done.stdout)).toEqual({
      status: 'complete',
      result: { shouted: 'HI', pid: worker.child.pid, attempt: 1 },
    });
    expect({ code: failed.code, stdout: failed.stdout }).toEqual({ code: 1, stdout: '' });
    expect(failed.stderr).toMatch(
      /^Task 'explode' failed \(job \S+ on 'default'\): exploded: on purpose$/m,
    );

    // The schedule it reconciled, with its time zone, read back by the CLI.
    const schedules = JSON.parse(listed.stdout) as object[];
    expect(schedules).toEqual([
      expect.objectContaining({
        queue: 'default',
        name: 'newYearReport',
        cron: '0 3 1 1 *',
        timeZone: 'Europe/Paris',
        source: 'decorator',
      }),
    ]);

    const id = await activeLinger(queues, 60);
    expect(await worker.stop('SIGTERM', 60_000)).toEqual({ code: 0, signal: null });
    expect(worker.output()).toContain(
      'SIGTERM: shutting down; active jobs get 0.5 s to finish, then go back on their queue.',
    );
    expect(worker.output()).toContain(
      'Workers stopped: 1 job(s) still running after the 0.5 s grace period went back on ' +
        'their queue, to run again in the next worker (not counted as a failure).',
    );
    expect(worker.output()).not.toContain(PASSWORD);
    expect(await jobOf(queues, 'slow', id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      error: null,
    });
  });

  it("the CLI's worker: --queues, --concurrency; on SIGINT a short job finishes, a long one goes back", async () => {
    const worker = startScript(
      CLI,
      ['--module', `${FIXTURE}#ApiModule`, 'worker', '--queues', 'slow', '--concurrency', '3'],
      { ...env, TASK_SHUTDOWN_GRACE_PERIOD: '15' },
    );
    await worker.waitForOutput(
      /Worker ready: queues slow \(concurrency 3\) on .*; no schedules$/m,
      120_000,
    );
    // Beside the 60 s job the last test's worker put back, one of 8 s.
    const id = await activeLinger(queues, 8);
    expect(await worker.stop('SIGINT', 60_000)).toEqual({ code: 0, signal: null });
    expect(worker.output()).toContain('SIGINT: shutting down; active jobs get 15 s to finish');
    expect(worker.output()).toContain('Workers stopped: 1 job(s) still running after the 15 s');
    expect(await jobOf(queues, 'slow', id)).toMatchObject({
      status: 'complete',
      result: { lingered: 8 },
    });
  });
});

// Loading the module does not depend on the backend: once, on Redis.
describeOn(['redis'], "the CLI's --module", () => {
  const names = (stdout: string) =>
    (JSON.parse(stdout) as { name: string }[]).map(({ name }) => name).sort();
  const TASKS = ['explode', 'linger', 'newYearReport', 'shout'];

  it('an ES module: the default export without #, the named one with #Name', async () => {
    // Each command line its own process, all at once.
    const specs = [FIXTURE, `${FIXTURE}#ApiModule`];
    const listed = await Promise.all(
      specs.map((spec) => runScript(CLI, ['--module', spec, 'tasks', '--json'], env)),
    );
    for (const { code, stdout, stderr } of listed) {
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(names(stdout)).toEqual(TASKS);
    }
    const missing = await runScript(CLI, ['-m', `${FIXTURE}#Nope`, 'tasks'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      `--module ${FIXTURE} exports no 'Nope' (it exports: ApiModule, ApiTasks, default). ` +
        `Name the module's export after '#'`,
    );
    const notRoot = await runScript(CLI, ['-m', `${FIXTURE}#ApiTasks`, 'tasks'], env);
    expect(notRoot.code).toBe(2);
    expect(notRoot.stderr).toContain(
      `nestjs-task-queue: --module ${FIXTURE}#ApiTasks: that export is not a Nest module (it is ` +
        `a provider or controller). Name your root module's export after '#'`,
    );
    // A module that does not import TaskQueueModule: which module to pass.
    const dir = mkdtempSync(join(tmpdir(), 'cli-esm-'));
    try {
      writeFileSync(join(dir, 'bare.mjs'), 'export class AppModule {}\n');
      const bare = await runScript(CLI, ['-m', join(dir, 'bare.mjs'), 'tasks'], env);
      expect(bare.code).toBe(2);
      expect(bare.stderr).toContain(
        `nestjs-task-queue: --module ${join(dir, 'bare.mjs')}: the application's module does ` +
          'not import TaskQueueModule. Pass the root module',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a CommonJS file: its exports, AppModule by default, #Name, or module.exports itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-cjs-'));
    try {
      const api = JSON.stringify(join(REPO, FIXTURE));
      writeFileSync(
        join(dir, 'app.module.cjs'),
        `const { ApiModule } = require(${api});\n` +
          `class CjsRoot {}\n` +
          `exports.AppModule = { module: CjsRoot, imports: [ApiModule] };\n` +
          `exports.Other = { module: class Other {}, imports: [ApiModule] };\n`,
      );
      writeFileSync(
        join(dir, 'whole.cjs'),
        `module.exports = { module: class Whole {}, imports: [require(${api}).ApiModule] };\n`,
      );
      // Each its own process, all at once.
      const specs = ['app.module.cjs', 'app.module.cjs#Other', 'whole.cjs'];
      const listed = await Promise.all(
        specs.map((spec) => runScript(CLI, ['--module', join(dir, spec), 'tasks', '--json'], env)),
      );
      for (const [index, { code, stdout, stderr }] of listed.entries()) {
        const spec = specs[index];
        expect({ spec, code, stderr }).toEqual({ spec, code: 0, stderr: '' });
        expect(names(stdout)).toEqual(TASKS);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeOn(['pglite'], 'the CLI on pglite:memory', () => {
  it('lists the tasks; refuses to enqueue into a database no other process sees, exit 2', async () => {
    // Both at once: each is a process of its own, and neither changes anything.
    const [listed, { code, stderr }] = await Promise.all([
      cli('tasks'),
      cli('enqueue', 'shout', '--payload', '{"text":"x"}'),
    ]);
    expect(listed.code).toBe(0);
    expect(code).toBe(2);
    expect(stderr).toContain(
      "enqueue needs queues that other processes share, but this module's are on PGlite in " +
        'memory (pglite:memory)',
    );
  });
});

describe('runWorker in this process', () => {
  /** A root module of the tasks with `worker: false`, on this file's backend. */
  const apiModule = () => {
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          connection: backend.connection,
          prefix: backend.prefix,
          queues: ['default', 'slow'],
          worker: false,
        }),
      ],
      providers: [ApiTasks],
    })
    class InProcessApiModule {}
    return InProcessApiModule;
  };
  const listeners = () => process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');

  it('returns the application, whose workers run jobs; closed, it leaves no signal listener', async () => {
    const before = listeners();
    const app = await runWorker(apiModule(), { queues: ['default'], logger: false });
    try {
      expect(listeners()).toBe(before + 2);
      const result = await app.get(TaskQueues).get('default').apply('shout', { text: 'in' });
      expect(result).toEqual({ shouted: 'IN', pid: process.pid, attempt: 1 });
    } finally {
      await app.close();
    }
    expect(listeners()).toBe(before);
  });

  it.each([
    [
      { queues: ['nope'] },
      "runWorker: queues names 'nope', which is not a configured queue ('default', 'slow')",
    ],
    [{ queues: [] }, "runWorker: option 'queues' is []; expected a non-empty array of queue names"],
    [{ concurrency: 0 }, "runWorker: option 'concurrency' is 0"],
  ])(
    '%j: a TaskQueueConfigError saying what to fix; no listener left',
    async (options, message) => {
      const before = listeners();
      const failed = runWorker(apiModule(), { ...options, logger: false });
      await expect(failed).rejects.toThrow(TaskQueueConfigError);
      await expect(failed).rejects.toThrow(message);
      expect(listeners()).toBe(before);
    },
  );

  it('a module without TaskQueueModule: says which module to pass', async () => {
    @Module({ providers: [ApiTasks] })
    class NoQueueModule {}
    await expect(runWorker(NoQueueModule, { logger: false })).rejects.toThrow(
      "runWorker: the application's module does not import TaskQueueModule.",
    );
  });
});
