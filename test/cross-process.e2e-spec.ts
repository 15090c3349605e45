import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestingModule } from '@nestjs/testing';
import { TaskQueues, TaskRegistry } from '@app/task-queue';
import { EchoModule } from './fixtures/echo.tasks.js';
import { BACKEND, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

describe(`an enqueue-only process and a worker process on ${BACKEND}`, () => {
  const backend = testBackend('xproc');
  let worker: ChildProcess;
  let api: TestingModule;

  beforeAll(async () => {
    // The worker runs the same task module, built with tsc, in an OS process of its own.
    worker = spawn(process.execPath, ['dist-test/test/fixtures/worker.main.js'], {
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
