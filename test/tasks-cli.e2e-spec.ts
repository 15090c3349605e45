// `npm run tasks -- <command>`: the built CLI, run as a user runs it, against the real backend
// (Redis, PostgreSQL) in this file's own namespace, and a built worker process to run what it
// enqueues.
import { getNextMillis } from 'bullmq';
import { getRegistry } from '@app/task-queue';
import '../src/campaigns/campaigns.tasks.js';
import '../src/payments/payments.tasks.js';
import '../src/shared/shared.tasks.js';
import '../src/users/users.tasks.js';
import { killAllBuilt, runTasksCli, startBuilt } from './support/built-app.js';
import { testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';

const backend = testBackend('tasks_cli');
const tasks = (...args: string[]) => runTasksCli(args, backend.env);

interface QueueStatus {
  queue: string;
  counts: Record<string, number>;
  workers: number;
}

async function status(): Promise<QueueStatus[]> {
  const { code, stdout } = await tasks('status', '--json');
  expect(code).toBe(0);
  return JSON.parse(stdout) as QueueStatus[];
}

afterAll(async () => {
  await killAllBuilt();
  await backend.cleanup();
});

describe('npm run tasks -- list', () => {
  it('shows every task of the example with its queue, cron and next run', async () => {
    const before = Date.now();
    const { code, stdout, stderr } = await tasks('list');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['TASK', 'QUEUE', 'CRON', 'ZONE', 'NEXT RUN']);

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
    );
    const after = await eventually(async () => {
      const [onDefault] = await status();
      return onDefault.counts.complete === 1 ? onDefault : undefined;
    });
    expect(after).toMatchObject({
      queue: 'default',
      // The worker also reconciled the example's three cron tasks: their next runs are scheduled.
      counts: { queued: 0, scheduled: 3, active: 0, complete: 1, failed: 0 },
      workers: 1,
    });

    // The table form says the same.
    const { stdout } = await tasks('status');
    expect(stdout).toMatch(/^QUEUE\s+QUEUED\s+SCHEDULED\s+ACTIVE\s+COMPLETE\s+FAILED\s+WORKERS$/m);
    expect(stdout).toMatch(/^default\s+0\s+3\s+0\s+1\s+0\s+1$/m);
    expect(stdout).toMatch(/^emails\s+0\s+0\s+0\s+0\s+0\s+0$/m);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('finds the queue of a task on another queue by itself', async () => {
    const { code, stdout } = await tasks(
      'enqueue',
      'send_newsletter',
      '--payload',
      '{"edition":"x"}',
    );
    expect(code).toBe(0);
    const onEmails = (await status()).find((entry) => entry.queue === 'emails')!;
    expect(onEmails.counts.queued).toBe(1);
    expect(stdout.trim()).toMatch(/^\S+$/);
  });
});

describe('npm run tasks -- usage errors', () => {
  it.each([
    [['frobnicate'], "Unknown command 'frobnicate'."],
    [[], 'No command given.'],
    [['enqueue', 'send_email', '--payload', '{to:'], '--payload is not valid JSON'],
    [['enqueue', 'send_email', '--payload', '[1]'], '--payload must be a JSON object'],
    [['enqueue'], 'enqueue takes one task name'],
    [['list', '--verbose'], "Unknown option '--verbose'"],
  ])('%j: the problem and the usage, exit 1', async (args, problem) => {
    const { code, stdout, stderr } = await tasks(...args);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toContain(problem);
    expect(stderr).toContain('Usage: npm run tasks -- <command>');
  });

  it("an unknown task or queue: the library's message, exit 1", async () => {
    const task = await tasks('enqueue', 'no_such_task');
    expect(task.code).toBe(1);
    expect(task.stderr).toContain("Unknown task 'no_such_task' on queue 'default'. Tasks on that");
    const queue = await tasks('enqueue', 'send_email', '--queue', 'nowhere');
    expect(queue.code).toBe(1);
    expect(queue.stderr).toMatch(/queue 'nowhere'/i);
  });
});
