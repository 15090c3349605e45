// `@ScheduledTask({ every })`: a fixed interval in seconds, as BullMQ's `every` runs it, on every
// backend: ticks run the task with its kwargs, `schedules()` shows the interval, and a changed
// interval replaces the stored schedule at the next boot.
import { Injectable, Module } from '@nestjs/common';
import { ScheduledTask, TaskQueues, type TaskContext } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

const runs: { payload: object; id: string }[] = [];

@Injectable()
class EverySecond {
  @ScheduledTask({ name: 'poll_inbox', every: 1, kwargs: { source: 'interval' } })
  pollInbox(ctx: TaskContext, payload: { source: string }) {
    runs.push({ payload, id: ctx.job.id });
  }
}

@Injectable()
class EveryMinute {
  @ScheduledTask({ name: 'poll_inbox', every: 60, kwargs: { source: 'interval' } })
  pollInbox() {}
}

@Module({ providers: [EverySecond] })
class EverySecondModule {}

@Module({ providers: [EveryMinute] })
class EveryMinuteModule {}

describe('@ScheduledTask({ every })', () => {
  const backend = testBackend('every');

  it('runs the task every interval with its kwargs, and schedules() shows the interval', async () => {
    const app = await startTaskApp({ backend, imports: [EverySecondModule] });
    const [schedule] = await app.get(TaskQueues).get('default').schedules();
    expect(schedule).toEqual({
      id: 'task-queue:poll_inbox',
      source: 'decorator',
      name: 'poll_inbox',
      every: 1,
      overlap: true,
      next: schedule.next,
    });
    expect(schedule.next).toBeInstanceOf(Date);
    await eventually(() => (runs.length >= 4 ? runs : undefined), 15_000);
    expect(runs.slice(0, 4).map(({ payload }) => payload)).toEqual([
      { source: 'interval' },
      { source: 'interval' },
      { source: 'interval' },
      { source: 'interval' },
    ]);
    // Ticks of an interval, not a burst: each run was due most of an interval after the one
    // before. Read from when each job was due (its delay from when it was made), not from when
    // a busy machine got to run it. The first run may be the one made when the schedule was
    // stored.
    const queue = app.get(QueueBackend).queue('default');
    const due = await Promise.all(
      runs.slice(1, 4).map(async ({ id }) => {
        const job = await queue.getJob(id);
        return job!.timestamp + job!.delay;
      }),
    );
    const gaps = due.slice(1).map((at, i) => at - due[i]);
    expect(gaps.filter((gap) => gap < 500)).toEqual([]);
    await app.close();
  });

  it('replaces the stored schedule when the interval changes', async () => {
    const app = await startTaskApp({ backend, imports: [EveryMinuteModule] });
    const schedules = await app.get(TaskQueues).get('default').schedules();
    expect(schedules).toEqual([
      {
        id: 'task-queue:poll_inbox',
        source: 'decorator',
        name: 'poll_inbox',
        every: 60,
        overlap: true,
        next: schedules[0].next,
      },
    ]);
    await app.close();
  });
});
