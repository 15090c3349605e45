import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestingModule } from '@nestjs/testing';
import { TaskQueues, TaskRegistry } from '@app/task-queue';
import { EchoModule } from './fixtures/echo.tasks.js';
import type { RunStore } from './fixtures/scheduled.tasks.js';
import { CrashStepsModule } from './fixtures/steps.tasks.js';
import { BACKEND, testBackend } from './support/backend.js';
import { killAllBuilt, startScript } from './support/built-app.js';
import { CHILD_NODE_FLAGS } from './support/processes.js';
import { eventually } from './support/redis.js';
import { watchReplicas } from './support/run-log.js';
import { startTaskApp } from './support/task-app.js';

describe(`an enqueue-only process and a worker process on ${BACKEND}`, () => {
  const backend = testBackend('xproc');
  let worker: ChildProcess;
  let api: TestingModule;

  beforeAll(async () => {
    // The worker runs the same task module, built with tsc, in an OS process of its own.
    worker = spawn(process.execPath, [...CHILD_NODE_FLAGS, 'dist/test/fixtures/worker.main.js'], {
      env: { ...process.env, ...backend.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(worker.stdout!, 'data')) as [Buffer];
    expect(line.toString()).toContain('worker ready');

    api = await startTaskApp({ backend, imports: [EchoModule], options: { worker: false } });
  });

  afterAll(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      worker.kill('SIGTERM');
      await once(worker, 'exit');
    }
  });

  it('knows the tasks it may enqueue without running any', () => {
    expect(api.get(TaskRegistry).getAllTasks()).toEqual([
      expect.objectContaining({ name: 'echo', queue: 'default', className: 'EchoTasks' }),
      expect.objectContaining({ name: 'wait_for_abort', queue: 'default', timeout: 60 }),
    ]);
  });

  it('has the job it enqueued run by the other process', async () => {
    const queue = api.get(TaskQueues).get('default');
    const result = await queue.apply<{ payload: object; pid: number }>(
      'echo',
      { hello: 'worker' },
      { timeout: 20 },
    );
    expect(result.payload).toEqual({ hello: 'worker' });
    expect(result.pid).toBe(worker.pid);
    expect(result.pid).not.toBe(process.pid);
  });

  it('aborts a job active in the other process: its signal fires and it ends aborted', async () => {
    const queue = api.get(TaskQueues).get('default');
    const { id } = await queue.enqueue('wait_for_abort');
    await eventually(async () => {
      const job = await queue.getJob(id);
      return job?.status === 'active' && job.progress ? job : undefined;
    });
    await expect(queue.abort(id)).resolves.toBe(true);
    const ended = await eventually(async () => {
      const job = await queue.getJob(id);
      return job?.status === 'aborted' && (job.progress as { signalled?: string }).signalled
        ? job
        : undefined;
    });
    expect(ended).toMatchObject({
      status: 'aborted',
      attempts: 1,
      progress: { started: worker.pid, signalled: 'TaskAbortedError' },
    });
    // Not retried: still one attempt a moment later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await queue.getJob(id))?.attempts).toBe(1);
  });

  it('exits cleanly on SIGTERM', async () => {
    worker.kill('SIGTERM');
    const [code] = (await once(worker, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});

describe(`durable steps across a worker process killed with SIGKILL on ${BACKEND}`, () => {
  const backend = testBackend('xsteps');
  let queues: TaskQueues;
  let runs: RunStore;

  /** The built worker process on this describe's namespace, once it says it is ready. */
  async function startWorker(env: Record<string, string> = {}) {
    const worker = startScript('dist/test/fixtures/worker.main.js', [], {
      ...backend.env,
      ...env,
    });
    await worker.waitForOutput(/worker ready/, 120_000);
    return worker;
  }

  beforeAll(async () => {
    const watched = await watchReplicas(backend, [CrashStepsModule]);
    queues = watched.app.get(TaskQueues);
    runs = watched.runs;
  });

  afterAll(async () => {
    await killAllBuilt();
    await runs?.close();
  });

  it('has another process finish the job, steps one and two not run again', async () => {
    const victim = await startWorker({ STEPS_HALT_AFTER: 'two' });
    const queue = queues.get('default');
    const { id } = await queue.enqueue('three_steps');
    await victim.waitForOutput(new RegExp(`step two stored: job ${id}$`, 'm'));
    expect(await victim.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect((await queue.getJob(id))?.status).toBe('active');

    // The job's lock expires, BullMQ's stalled check puts it back, and this process runs it.
    const heir = await startWorker();
    const job = await eventually(
      async () => {
        const info = await queue.getJob(id);
        return info?.status === 'complete' || info?.status === 'failed' ? info : undefined;
      },
      150_000,
      `job ${id} to finish in the second worker`,
    );
    const [first, second] = [victim.child.pid, heir.child.pid];
    expect(job).toMatchObject({
      status: 'complete',
      result: { one: first, two: first, three: second, pid: second },
    });
    expect(job.steps.map((step) => step.id)).toEqual(['one', 'two', 'three']);
    // Each side effect once, each in the process whose execution stored it.
    const effects = (await runs.read()).filter((run) => run.jobId === id);
    expect(effects.map(({ task, pid }) => [task, pid])).toEqual([
      ['one', first],
      ['two', first],
      ['three', second],
    ]);
  }, 240_000);
});
