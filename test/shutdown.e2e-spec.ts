import { Injectable, Module } from '@nestjs/common';
import { Task, TaskQueues, type TaskContext, type TaskQueueModuleOptions } from '@app/task-queue';
import { eventually } from './support/redis.js';
import { testBackend } from './support/backend.js';
import { QUIET, startTaskApp } from './support/task-app.js';

const runs: { app: string; jobId: string; event: string; at: number }[] = [];

@Injectable()
class LongTasks {
  /** Ignores its signal: the grace period must end the run anyway. */
  @Task()
  async long(ctx: TaskContext, payload: { ms: number; app: string }) {
    runs.push({ app: payload.app, jobId: ctx.job.id, event: 'start', at: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, payload.ms));
    runs.push({ app: payload.app, jobId: ctx.job.id, event: 'end', at: Date.now() });
    return `done after ${payload.ms} ms`;
  }
}

@Module({ providers: [LongTasks] })
class LongModule {}

describe('graceful shutdown', () => {
  const backend = testBackend('shutdown');

  async function start(options: TaskQueueModuleOptions) {
    return startTaskApp({ backend, imports: [LongModule], options, logger: QUIET });
  }

  it('lets an active job finish within the grace period before closing', async () => {
    const app = await start({ shutdownGracePeriod: 10 });
    const queue = app.get(TaskQueues).get('default');
    const { id } = await queue.enqueue('long', { ms: 600, app: 'graceful' });
    await eventually(async () =>
      (await queue.getJob(id))?.status === 'active' ? true : undefined,
    );
    await app.close();
    expect(runs.filter((r) => r.jobId === id).map((r) => r.event)).toEqual(['start', 'end']);

    const reader = await start({ worker: false });
    const job = await reader.get(TaskQueues).get('default').getJob(id);
    expect(job).toMatchObject({ status: 'complete', result: 'done after 600 ms', attempts: 1 });
  });

  it('puts a job still running when the grace period ends back on the queue; the next worker runs it', async () => {
    const first = await start({ shutdownGracePeriod: 0.3 });
    const queue = first.get(TaskQueues).get('default');
    const { id } = await queue.enqueue('long', { ms: 2000, app: 'first' });
    await eventually(async () =>
      (await queue.getJob(id))?.status === 'active' ? true : undefined,
    );

    await first.close();
    // Closed before the body could end: the run was cut off, not waited for.
    expect(runs.filter((r) => r.jobId === id && r.event === 'end')).toHaveLength(0);

    const reader = await start({ worker: false });
    expect((await reader.get(TaskQueues).get('default').getJob(id))?.status).toBe('queued');
    const second = await start({});
    const again = second.get(TaskQueues).get('default');
    const job = await eventually(async () => {
      const read = await again.getJob(id);
      return read?.status === 'complete' ? read : undefined;
    });
    expect(job).toMatchObject({ result: 'done after 2000 ms', attempts: 2, error: null });
    expect(runs.filter((r) => r.jobId === id && r.event === 'start')).toHaveLength(2);
  });
});
