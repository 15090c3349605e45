import { Injectable, Module, type Type } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { getNextMillis, Job, type Queue } from 'bullmq';
import { ScheduledTask, TaskQueues, type TaskContext } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { BACKEND, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

const REPORT_ID = 'task-queue:yearly_report';

@Injectable()
class DigestTasks {
  readonly runs: { jobId: string; payload: object }[] = [];

  @ScheduledTask({ cron: '* * * * * *', kwargs: { batchSize: 100, source: 'schedule' } })
  async everySecond(ctx: TaskContext, payload: object) {
    this.runs.push({ jobId: ctx.job.id, payload });
  }

  @ScheduledTask({
    name: 'yearly_report',
    cron: '0 0 1 1 *',
    timeZone: 'America/New_York',
    kwargs: { batchSize: 100, dryRun: true },
  })
  async yearlyReport(ctx: TaskContext, payload: object) {
    return { jobId: ctx.job.id, payload };
  }
}

/** The same report, in a later release that changed its default batch size. */
@Injectable()
class DigestTasksWithNewKwargs {
  @ScheduledTask({
    name: 'yearly_report',
    cron: '0 0 1 1 *',
    timeZone: 'America/New_York',
    kwargs: { batchSize: 500, dryRun: true },
  })
  async yearlyReport() {}
}

describe(`@ScheduledTask in one application on ${BACKEND}`, () => {
  const backend = testBackend('schedtask');
  let app: TestingModule;
  /** The queue as other code sees it, through BullMQ. */
  let queue: Queue;

  async function boot(tasks: Type): Promise<TestingModule> {
    @Module({ providers: [tasks] })
    class FeatureModule {}
    return startTaskApp({ backend, imports: [FeatureModule] });
  }

  /** The pending job of the report's scheduler: its id names the tick, its timestamp its creation. */
  async function pendingReport(): Promise<{ id: string; timestamp: number; data: object }> {
    const scheduler = await queue.getJobScheduler(REPORT_ID);
    const job = await Job.fromId(queue, `repeat:${REPORT_ID}:${scheduler!.next}`);
    return { id: job!.id!, timestamp: job!.timestamp, data: job!.data as object };
  }

  beforeAll(async () => {
    app = await boot(DigestTasks);
    queue = app.get(QueueBackend).queue('default');
  });

  it('lists the schedules of a queue with cron, time zone and next run', async () => {
    const schedules = await app.get(TaskQueues).get('default').schedules();
    const now = new Date();
    expect(schedules.map(({ name, cron, timeZone }) => ({ name, cron, timeZone }))).toEqual([
      { name: 'everySecond', cron: '* * * * * *', timeZone: 'UTC' },
      { name: 'yearly_report', cron: '0 0 1 1 *', timeZone: 'America/New_York' },
    ]);
    // 1 January, 00:00 in New York: 05:00 UTC (EST).
    const report = schedules[1].next;
    expect(report.getTime()).toBe(
      getNextMillis(now.getTime(), { pattern: '0 0 1 1 *', tz: 'America/New_York' }),
    );
    expect(report.getUTCHours()).toBe(5);
    expect(schedules[0].next.getTime() - now.getTime()).toBeLessThanOrEqual(2000);
  });

  it('gives scheduled runs the kwargs as their payload', async () => {
    const run = await eventually(() => app.get(DigestTasks).runs[0]);
    expect(run.jobId).toMatch(/^repeat:task-queue:everySecond:\d+$/);
    expect(run.payload).toEqual({ batchSize: 100, source: 'schedule' });
  });

  it('runs a scheduled task enqueued by hand at once, kwargs under the explicit payload', async () => {
    const before = await pendingReport();
    const taskQueue = app.get(TaskQueues).get('default');

    const byDefault = await taskQueue.apply<{ jobId: string; payload: object }>('yearly_report');
    expect(byDefault.payload).toEqual({ batchSize: 100, dryRun: true });
    const overridden = await taskQueue.apply<{ jobId: string; payload: object }>('yearly_report', {
      batchSize: 5,
    });
    expect(overridden.payload).toEqual({ batchSize: 5, dryRun: true });
    expect(overridden.jobId).not.toMatch(/^repeat:/);

    // The schedule is undisturbed: the same pending job for the same tick, and no other.
    expect(await pendingReport()).toEqual(before);
    expect(await queue.getJobSchedulersCount()).toBe(2);
  });

  it('leaves unchanged schedules alone when another replica boots', async () => {
    const before = await pendingReport();
    const replica = await boot(DigestTasks);
    await replica.close();
    expect(await pendingReport()).toEqual(before);
  });

  it('replaces a schedule whose kwargs changed', async () => {
    const replica = await boot(DigestTasksWithNewKwargs);
    await replica.close();
    const scheduler = await queue.getJobScheduler(REPORT_ID);
    expect(scheduler?.template?.data).toEqual({ batchSize: 500, dryRun: true });
    expect((await pendingReport()).data).toEqual({ batchSize: 500, dryRun: true });
    // That release has no per-second task: its boot removed that schedule.
    expect(await queue.getJobScheduler('task-queue:everySecond')).toBeUndefined();
  });
});
