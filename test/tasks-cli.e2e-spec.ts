// `npm run tasks -- <command>`: the package's CLI (its `bin`), built, run as a user runs it on
// the example's compiled AppModule, against the real backend (Redis, PostgreSQL) in this file's
// own namespace, and built worker processes (`npm run worker`) to run what it enqueues.
import { jest } from '@jest/globals';
import { getNextMillis } from 'bullmq';
import { getRegistry, TaskQueues } from '@app/task-queue';
import { QUEUES } from '../src/app.config.js';
import '../src/campaigns/campaigns.tasks.js';
import '../src/payments/payments.tasks.js';
import '../src/shared/shared.tasks.js';
import '../src/users/onboarding.tasks.js';
import '../src/users/users.tasks.js';
import {
  CLI,
  EXAMPLE_MODULE,
  killAllBuilt,
  runScript,
  runTasksCli,
  startBuilt,
} from './support/built-app.js';
import { testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

const backend = testBackend('tasks_cli');
// Each command boots the example's whole AppModule (its embedded database only if it queries it).
jest.setTimeout(240_000);
const tasks = (...args: string[]) => runTasksCli(args, backend.env);

interface QueueStatus {
  queue: string;
  counts: Record<string, number>;
  workers: number;
}

async function status(): Promise<QueueStatus[]> {
  const { code, stdout, stderr } = await tasks('status', '--json');
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(stdout) as QueueStatus[];
}

/**
 * The example's queues read in this process, for what a test waits for or checks beside the
 * CLI's output (each CLI command is a process that boots the whole example): an application
 * without workers, so it schedules nothing either. Started on first use, after the CLI's first
 * command has made the namespace; closed after the file (test/support/task-app.ts).
 */
let reader: Promise<TaskQueues> | undefined;
const readQueues = () =>
  (reader ??= startTaskApp({ backend, options: { queues: QUEUES, worker: false } }).then((app) =>
    app.get(TaskQueues),
  ));

afterAll(async () => {
  await killAllBuilt();
  await backend.cleanup();
});

describe('npm run tasks -- tasks', () => {
  it('shows every task of the example with its queue, schedule and next run', async () => {
    const before = Date.now();
    // The table and --json at once: neither changes anything.
    const [{ code, stdout, stderr }, asJson] = await Promise.all([
      tasks('tasks'),
      tasks('tasks', '--json'),
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['TASK', 'QUEUE', 'SCHEDULE', 'ZONE', 'NEXT RUN']);

    const catalogued = getRegistry().getAllTasks();
    expect(lines).toHaveLength(catalogued.length + 1);
    for (const task of catalogued) {
      const row = lines.find((line) => line.startsWith(`${task.name} `));
      expect(row).toBeDefined();
      const [, queue, cron, zone, next] = row!.split(/\s{2,}/);
      expect(queue).toBe(task.queue ?? 'default');
      if (!task.cron) {
        expect([cron, zone, next]).toEqual(['-', '-', '-']);
        continue;
      }
      expect([cron, zone]).toEqual([task.cron, 'UTC']);
      // The next run the cron gives, as BullMQ's scheduler computes it, in the future.
      expect(Date.parse(next)).toBeGreaterThan(before);
      expect(next).toBe(
        new Date(getNextMillis(before, { pattern: task.cron, tz: 'UTC' })!).toISOString(),
      );
    }
    expect(stdout).toMatch(/^weekly_report\s+default\s+0 9 \* \* 1\s+UTC\s+\S+Z$/m);

    // --json says the same, for scripts.
    expect(asJson.code).toBe(0);
    const listed = JSON.parse(asJson.stdout) as { name: string; queue: string; cron: string }[];
    const byName = (a: string[], b: string[]) => a[0].localeCompare(b[0]);
    expect(listed.map(({ name, queue }) => [name, queue]).sort(byName)).toEqual(
      catalogued.map((task) => [task.name, task.queue ?? 'default']).sort(byName),
    );
    expect(listed.find(({ name }) => name === 'weekly_report')).toMatchObject({
      cron: '0 9 * * 1',
      every: null,
      timeZone: 'UTC',
    });
  });
});

describe('npm run tasks -- enqueue / status', () => {
  it('prints the id of a job that a worker then completes; status counts it', async () => {
    const empty = await status();
    expect(empty.map(({ queue, workers }) => [queue, workers])).toEqual([
      ['default', 0],
      ['emails', 0],
    ]);

    const enqueued = await tasks('enqueue', 'process_data', '--payload', '{"userId":7}');
    expect(enqueued).toMatchObject({ code: 0, stderr: '' });
    const id = enqueued.stdout.trim();
    expect(id).toMatch(/^\S+$/);
    expect((await status())[0].counts).toMatchObject({ queued: 1, complete: 0 });

    const worker = startBuilt('worker', ['--queues', 'default'], backend.env);
    await worker.waitForOutput(
      new RegExp(`task=process_data queue=default job=${id} attempt=1 .*outcome=completed`),
      120_000,
    );
    // The worker logs the run before the job is marked complete: waited for here, read in this
    // process rather than by a CLI process per look.
    const queues = await readQueues();
    await eventually(
      async () =>
        (await queues.get('default').getJob(id))?.status === 'complete' ? true : undefined,
      30_000,
      `job ${id} to be complete`,
    );
    // What is checked below reads the backend only: every command at once.
    const [statusJson, { stdout }, job, jobJson, schedules, schedulesListed] = await Promise.all([
      status(),
      tasks('status'),
      tasks('status', 'default', id),
      tasks('status', 'default', id, '--json'),
      tasks('schedules'),
      tasks('schedules', '--json'),
    ]);
    expect(statusJson[0]).toMatchObject({
      queue: 'default',
      // The worker also reconciled the example's three cron tasks: their next runs are scheduled.
      counts: { queued: 0, scheduled: 3, active: 0, complete: 1, failed: 0 },
      workers: 1,
    });

    // The table form says the same.
    expect(stdout).toMatch(/^QUEUE\s+QUEUED\s+SCHEDULED\s+ACTIVE\s+COMPLETE\s+FAILED\s+WORKERS$/m);
    expect(stdout).toMatch(/^default\s+0\s+3\s+0\s+1\s+0\s+1$/m);
    expect(stdout).toMatch(/^emails\s+0\s+0\s+0\s+0\s+0\s+0$/m);

    // The job itself: its status and result, as a table and as JSON.
    expect({ code: job.code, stderr: job.stderr }).toEqual({ code: 0, stderr: '' });
    expect(job.stdout).toMatch(new RegExp(`^JOB\\s+${id}$`, 'm'));
    expect(job.stdout).toMatch(/^STATUS\s+complete$/m);
    // The result as JSON in one cell (PostgreSQL keeps its keys in its own order).
    const [, resultCell] = /^RESULT\s+(.+)$/m.exec(job.stdout)!;
    const result = JSON.parse(resultCell) as { checksum: string };
    expect(result).toMatchObject({ processed: 7, steps: 3 });
    expect(result.checksum).toMatch(/^[0-9a-f]{12}$/);
    expect(JSON.parse(jobJson.stdout)).toMatchObject({
      id,
      name: 'process_data',
      status: 'complete',
      attempts: 1,
      result: { processed: 7, steps: 3 },
      error: null,
    });

    // The schedules the worker reconciled, read back from the backend.
    expect(schedules.code).toBe(0);
    const scheduleLines = schedules.stdout.trim().split('\n');
    expect(scheduleLines[0].split(/\s{2,}/)).toEqual([
      'QUEUE',
      'TASK',
      'SCHEDULE',
      'ZONE',
      'OVERLAP',
      'SOURCE',
      'NEXT RUN',
      'ID',
    ]);
    expect(scheduleLines).toHaveLength(4);
    expect(schedules.stdout).toMatch(
      /^default\s+weekly_report\s+0 9 \* \* 1\s+UTC\s+yes\s+decorator\s+\S+Z\s+task-queue:weekly_report$/m,
    );
    const schedulesJson = JSON.parse(schedulesListed.stdout) as {
      queue: string;
      name: string;
    }[];
    expect(schedulesJson.map(({ queue, name }) => `${queue}/${name}`).sort()).toEqual([
      'default/batch_process',
      'default/cleanup_old_records',
      'default/weekly_report',
    ]);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  }, 300_000);

  it('finds the queue of a task on another queue by itself', async () => {
    const { code, stdout } = await tasks(
      'enqueue',
      'send_newsletter',
      '--payload',
      '{"edition":"x"}',
    );
    expect(code).toBe(0);
    const id = stdout.trim();
    expect(id).toMatch(/^\S+$/);
    // The job itself, on 'emails' and waiting (no worker serves that queue).
    const queues = await readQueues();
    expect(await queues.get('emails').getJob(id)).toMatchObject({
      name: 'send_newsletter',
      status: 'queued',
    });
    expect((await queues.get('emails').stats()).counts.queued).toBe(1);
  });
});

describe('npm run tasks -- enqueue --wait', () => {
  it('prints the result of a task a worker ran, exit 0; a failing task: its error, exit 1', async () => {
    const worker = startBuilt('worker', ['--queues', 'default'], backend.env);
    await worker.waitForOutput(/Worker ready: queues default/, 120_000);

    // Three jobs of their own, waited for at once.
    const [done, failed, failedJson] = await Promise.all([
      tasks('enqueue', 'process_data', '--payload', '{"userId":11}', '--wait'),
      tasks('enqueue', 'send_email', '--payload', '{"to":"nobody","subject":"hi"}', '--wait'),
      tasks(
        'enqueue',
        'send_email',
        '--payload',
        '{"to":"nobody","subject":"hi"}',
        '--wait',
        '--json',
      ),
    ]);
    expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(done.stdout)).toMatchObject({ processed: 11, steps: 3 });

    // send_email refuses an address without '@' and has no retries: the wait ends with it.
    expect({ code: failed.code, stdout: failed.stdout }).toEqual({ code: 1, stdout: '' });
    expect(failed.stderr).toMatch(
      /^Task 'send_email' failed \(job \S+ on 'default'\): send_email needs an address in 'to', got "nobody"$/m,
    );

    expect(failedJson.code).toBe(1);
    expect(JSON.parse(failedJson.stdout)).toMatchObject({
      status: 'failed',
      error: `send_email needs an address in 'to', got "nobody"`,
    });
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  }, 300_000);
});

describe('npm run tasks -- usage errors', () => {
  // The CLI's processes of the cases below (by their command line), started at once before the
  // first of them: none of them changes anything on the backend.
  const runs = new Map<string, ReturnType<typeof runScript>>();
  const runOf = (args: string[]) => runs.get(JSON.stringify(args))!;
  const withModule = (args: string[]) => ['--module', EXAMPLE_MODULE, ...args];
  const USAGE: [string[], string, string][] = [
    [['frobnicate'], "Unknown command 'frobnicate'. Commands: tasks, enqueue,", '--help'],
    [[], 'No command given. Try: nestjs-task-queue --module', '--help'],
    [
      ['enqueue', 'send_email', '--payload', '{to:'],
      `--payload is not valid JSON (`,
      'enqueue --help',
    ],
    [
      ['enqueue', 'send_email', '--payload', '[1]'],
      '--payload must be a JSON object',
      'enqueue --help',
    ],
    [['enqueue'], 'enqueue takes one task name: enqueue TASK; got: none.', 'enqueue --help'],
    [['tasks', '--verbose'], "Unknown option '--verbose'", 'tasks --help'],
    [['tasks', '--payload', '{}'], '--payload belongs to enqueue, not tasks.', 'tasks --help'],
    [['status', 'a', 'b', 'c'], 'status takes at most a queue and a job id', 'status --help'],
  ];
  const MODULE_PROBLEMS: [string[], string][] = [
    [[], '--module is missing: name your compiled root module'],
    [['--module', 'dist/src/nowhere.js'], '--module dist/src/nowhere.js: no such file'],
    [['--module', 'src/app.module.ts'], '--module src/app.module.ts is TypeScript source'],
    [
      ['--module', `${EXAMPLE_MODULE}#Nope`],
      `--module ${EXAMPLE_MODULE} exports no 'Nope' (it exports: AppModule).`,
    ],
  ];
  const moduleArgsOf = (moduleArgs: string[]) => [...moduleArgs, 'tasks'];
  beforeAll(() => {
    for (const args of [
      ...USAGE.map(([args]) => withModule(args)),
      ...MODULE_PROBLEMS.map(([moduleArgs]) => moduleArgsOf(moduleArgs)),
    ]) {
      runs.set(JSON.stringify(args), runScript(CLI, args, backend.env));
    }
  });

  it.each(USAGE)('%j: the problem and where to read more, exit 2', async (args, problem, help) => {
    const { code, stdout, stderr } = await runOf(withModule(args));
    // stderr beside them, to be read when the exit code is not the one expected.
    expect({ code, stdout, stderr }).toMatchObject({ code: 2, stdout: '' });
    expect(stderr).toContain(`nestjs-task-queue: ${problem}`);
    expect(stderr).toContain(`See: nestjs-task-queue ${help}`);
  });

  it('a bad --payload says how to quote it', async () => {
    const { code, stderr } = await tasks('enqueue', 'send_email', '--payload', '{to:1}');
    expect(code).toBe(2);
    expect(stderr).toContain(
      `Quote it for your shell and use double quotes inside: --payload '{"userId":42}'.`,
    );
  });

  it('an unknown task, queue or job: which ones there are, exit 2', async () => {
    const [task, queue, unknownJob] = await Promise.all([
      tasks('enqueue', 'no_such_task'),
      tasks('enqueue', 'send_email', '--queue', 'nowhere'),
      tasks('status', 'default', 'no-such-id'),
    ]);
    expect(task.code).toBe(2);
    expect(task.stderr).toContain(
      "Unknown task 'no_such_task'. Tasks of this application: batch_process, capture_payment,",
    );
    expect(queue.code).toBe(2);
    expect(queue.stderr).toContain(
      "Unknown queue 'nowhere'. Configured queues: 'default', 'emails'.",
    );
    expect(unknownJob.code).toBe(2);
    expect(unknownJob.stderr).toContain("No job 'no-such-id' on queue 'default'");
  });

  it.each(MODULE_PROBLEMS)('--module %j: what to fix, exit 2', async (moduleArgs, problem) => {
    const { code, stdout, stderr } = await runOf(moduleArgsOf(moduleArgs));
    // stderr beside them, to be read when the exit code is not the one expected.
    expect({ code, stdout, stderr }).toMatchObject({ code: 2, stdout: '' });
    expect(stderr).toContain(`nestjs-task-queue: ${problem}`);
  });

  it('--help: the commands; <command> --help: its own usage, exit 0, no module needed', async () => {
    const commands = ['tasks', 'enqueue', 'status', 'schedules', 'worker', 'migrate'];
    // Each its own process, all at once.
    const [overall, ...owns] = await Promise.all([
      runScript(CLI, ['--help'], {}),
      ...commands.map((command) => runScript(CLI, [command, '--help'], {})),
    ]);
    expect({ code: overall.code, stderr: overall.stderr }).toEqual({ code: 0, stderr: '' });
    expect(overall.stdout).toContain('Usage: nestjs-task-queue --module FILE[#Export] <command>');
    for (const [index, command] of commands.entries()) {
      expect(overall.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      const own = owns[index];
      expect({ code: own.code, stderr: own.stderr }).toEqual({ code: 0, stderr: '' });
      expect(own.stdout).toMatch(
        new RegExp(`^Usage: nestjs-task-queue --module FILE ${command}\\b`),
      );
    }
    const enqueueHelp = owns[commands.indexOf('enqueue')];
    expect(enqueueHelp.stdout).toContain('--wait           wait for the outcome');
  }, 60_000);

  /** NODE_OPTIONS with a resolve hook under which importing `specifier` throws. */
  const refusing = (specifier: string) => {
    const hook = encodeURIComponent(
      'export async function resolve(specifier, context, next) {' +
        ` if (specifier === "${specifier}") throw new Error("${specifier} was loaded");` +
        ' return next(specifier, context); }',
    );
    const register = `data:text/javascript,import{register}from'node:module';register('data:text/javascript,${hook}')`;
    return { NODE_OPTIONS: `--import=${register}` };
  };

  it('--help and a mistake in the command line are answered without loading Nest', async () => {
    // Only what needs the application may load @nestjs/core.
    const noNest = refusing('@nestjs/core');
    const [help, mistake, booted] = await Promise.all([
      runScript(CLI, ['--help'], noNest),
      runScript(CLI, withModule(['frobnicate']), noNest),
      runScript(CLI, withModule(['tasks']), noNest),
    ]);
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: nestjs-task-queue');
    expect(mistake).toMatchObject({ code: 2, stdout: '' });
    expect(mistake.stderr).toContain("nestjs-task-queue: Unknown command 'frobnicate'");
    // The hook does refuse it: a command that loads the application (which imports it) fails.
    expect(booted.code).toBe(1);
    expect(booted.stderr).toContain('@nestjs/core was loaded');
  }, 60_000);

  it('a command boots the application without loading the dashboard it has no server for', async () => {
    // The example imports TaskQueueDashboardModule; without an HTTP server nothing is mounted.
    const { code, stderr } = await runScript(CLI, withModule(['tasks']), {
      ...backend.env,
      ...refusing('@bull-board/api'),
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }, 60_000);
});
