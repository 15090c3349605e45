// The example split in two, as in production: an API that only enqueues (TASK_WORKER=false,
// here in-process) and `npm run worker` processes (built, spawned) that run the jobs, on each
// backend that processes can share.
import { TaskQueues, type TaskJobInfo } from '@app/task-queue';
import { AppModule } from '../src/app.module.js';
import { BACKEND, startupWhere, testBackend } from './support/backend.js';
import { killAllBuilt, startBuilt } from './support/built-app.js';
import { exitOf } from './support/processes.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

const backend = testBackend('worker-process');
let baseUrl: string;
let queues: TaskQueues;

/**
 * `npm run worker -- ...args` (runWorker on the example's AppModule), on this file's backend;
 * resolves once it says it is ready. The API's TASK_WORKER=false does not stop its workers.
 */
async function startWorker(args: string[], env: Record<string, string> = {}) {
  const worker = startBuilt('worker', args, { ...backend.env, TASK_WORKER: 'false', ...env });
  await worker.waitForOutput(/Worker ready: queues /, 120_000);
  return worker;
}

const jobOf = (queue: string, id: string) => queues.get(queue).getJob(id) as Promise<TaskJobInfo>;

function finished(queue: string, id: string, timeoutMs = 15_000) {
  return eventually(
    async () => {
      const job = await jobOf(queue, id);
      return job?.status === 'complete' || job?.status === 'failed' ? job : undefined;
    },
    timeoutMs,
    `job ${id} on '${queue}' to finish`,
  );
}

/** Enqueues `count` newsletters that take `seconds` each. */
async function newsletters(count: number, seconds: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(
      (await queues.get('emails').enqueue('send_newsletter', { edition: `e${i}`, seconds })).id,
    );
  }
  return ids;
}

beforeAll(async () => {
  const api = await startTaskApp({
    backend,
    imports: [AppModule],
    options: 'from-env',
    env: { TASK_WORKER: 'false' },
    listen: '127.0.0.1',
  });
  baseUrl = await api.getUrl();
  queues = api.get(TaskQueues);
});

afterEach(killAllBuilt);

describe('npm run worker (built, a process of its own)', () => {
  it('runs a job the API enqueued; --queues keeps it off the other queues', async () => {
    const worker = await startWorker(['--queues', 'emails', '--metrics-port', '0']);
    // One line: the backend and where (no password), the queues with their concurrency, the
    // schedules (none on 'emails').
    const where = startupWhere(backend);
    await worker.waitForOutput(
      new RegExp(
        `Worker ready: queues emails \\(concurrency 10\\) on ${where}; no schedules$`,
        'm',
      ),
    );
    const [, opsUrl] = await worker.waitForOutput(
      /Metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/,
    );

    const accepted = await fetch(`${baseUrl}/process`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 42 }),
    });
    expect(accepted.status).toBe(202);
    const { jobId: onDefault } = (await accepted.json()) as { jobId: string };
    const [onEmails] = await newsletters(1, 0.1);

    expect(await finished('emails', onEmails)).toMatchObject({
      status: 'complete',
      result: { edition: 'e0', sent: true },
    });
    // The API runs no worker and this one serves 'emails' only: the other job waits.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await jobOf('default', onDefault)).toMatchObject({ status: 'queued', attempts: 0 });

    // One structured line per finished job, without the payload.
    const line = await worker.waitForOutput(
      new RegExp(
        `Job finished: task=send_newsletter queue=emails job=${onEmails} attempt=1 duration_ms=\\d+ outcome=completed$`,
        'm',
      ),
    );
    expect(line[0]).not.toContain('e0');

    // The worker's own /metrics has the run's duration; /health sees no worker on 'default'.
    const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /^task_queue_job_duration_seconds_count\{queue="emails",task="send_newsletter",outcome="completed"\} 1$/m,
    );
    const health = await fetch(`${opsUrl}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      healthy: false,
      backend: { kind: BACKEND, reachable: true },
      queues: { default: { workers: 0 }, emails: { workers: 1 } },
    });
    // Ctrl-C closes it as SIGTERM does.
    expect(await worker.stop('SIGINT')).toEqual({ code: 0, signal: null });

    // A worker for every queue picks it up; it keeps the example's three cron schedules.
    const everyQueue = await startWorker([]);
    await everyQueue.waitForOutput(
      /Worker ready: queues default \(concurrency 10\), emails \(concurrency 10\) on .*; 3 schedules: cleanup_old_records, batch_process, weekly_report$/m,
    );
    expect(await finished('default', onDefault)).toMatchObject({
      status: 'complete',
      result: { processed: 42 },
    });
  }, 240_000);

  it('refuses a queue that is not configured, with the library message, exit 1', async () => {
    const worker = startBuilt('worker', ['--queues', 'nope'], backend.env);
    expect(await exitOf(worker.child, 120_000)).toEqual({ code: 1, signal: null });
    expect(worker.output()).toContain(
      "runWorker: queues names 'nope', which is not a configured queue ('default', 'emails')",
    );
  }, 240_000);
});

describe('SIGTERM to a worker process', () => {
  /** A worker of concurrency 5 with this grace period, busy with 5 of `count` 2 s jobs. */
  async function fiveActive(count: number, gracePeriod: string) {
    const worker = await startWorker(['--queues', 'emails', '--concurrency', '5'], {
      TASK_SHUTDOWN_GRACE_PERIOD: gracePeriod,
    });
    const ids = await newsletters(count, 2);
    await eventually(
      async () => ((await queues.get('emails').stats()).counts.active === 5 ? true : undefined),
      10_000,
      '5 active jobs',
    );
    return { worker, ids };
  }

  it('lets 5 active 2 s jobs complete, starts no other, exits 0 within the grace period', async () => {
    const { worker, ids } = await fiveActive(7, '10');

    const signalled = Date.now();
    expect(await worker.stop('SIGTERM', 20_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(10_000);

    const jobs = await Promise.all(ids.map((id) => jobOf('emails', id)));
    const completed = jobs.filter((job) => job.status === 'complete');
    expect(completed).toHaveLength(5);
    expect(completed.every((job) => job.attempts === 1)).toBe(true);
    // The two beyond the concurrency never started: still queued, no attempt used.
    expect(jobs.filter((job) => job.status === 'queued' && job.attempts === 0)).toHaveLength(2);
    expect(worker.output().match(/Job finished: task=send_newsletter/g)).toHaveLength(5);
    expect(worker.output()).toContain(
      'Workers stopped: every active job finished; 0 went back on their queue.',
    );
    // Leave nothing for the next test's worker.
    for (const job of jobs) if (job.status === 'queued') await queues.get('emails').abort(job.id);
  }, 240_000);

  it('past a shorter grace period aborts them and puts them back; the next worker runs them', async () => {
    const { worker, ids } = await fiveActive(5, '0.5');

    expect(await worker.stop('SIGTERM', 20_000)).toEqual({ code: 0, signal: null });
    const cut = await Promise.all(ids.map((id) => jobOf('emails', id)));
    // Each was started once and cut off: back on the queue, not failed.
    expect(cut.map((job) => [job.status, job.attempts])).toEqual(Array(5).fill(['queued', 1]));
    for (const id of ids) expect(worker.output()).not.toContain(`queue=emails job=${id} `);
    expect(worker.output()).toContain(
      'Workers stopped: 5 job(s) still running after the 0.5 s grace period went back on ' +
        'their queue, to run again in the next worker (not counted as a failure).',
    );

    await startWorker(['--queues', 'emails']);
    const again = await Promise.all(ids.map((id) => finished('emails', id)));
    for (const job of again) {
      expect(job).toMatchObject({ status: 'complete', attempts: 2, error: null });
    }
  }, 240_000);
});
