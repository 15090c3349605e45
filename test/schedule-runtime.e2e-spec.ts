// `TaskQueue.schedule()` / `unschedule()` on every backend: a schedule made at runtime ticks with
// its payload, is listed beside the decorator's, lives in the backend across a restart (the
// boot-time reconcile leaves it alone), is replaced under the same id, and stops when removed.
import { Injectable, Module } from '@nestjs/common';
import {
  InvalidOptionsError,
  InvalidPayloadError,
  ScheduledTask,
  Task,
  TaskQueues,
  UnknownTaskError,
  type TaskContext,
} from '@app/task-queue';
import { testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { QUIET, startTaskApp } from './support/task-app.js';

const runs: { payload: object; at: number }[] = [];

@Injectable()
class ReportTasks {
  @Task('send_report')
  sendReport(_ctx: TaskContext, payload: object) {
    runs.push({ payload, at: Date.now() });
  }

  @ScheduledTask({ name: 'yearly_audit', cron: '0 0 1 1 *' })
  yearlyAudit() {}
}

@Module({ providers: [ReportTasks] })
class ReportModule {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TaskQueue.schedule() at runtime', () => {
  const backend = testBackend('runtime-schedule');
  const start = () => startTaskApp({ backend, imports: [ReportModule], logger: QUIET });
  let id: string;

  it('runs the task at each tick with the payload, listed beside the decorator schedule', async () => {
    const app = await start();
    const queue = app.get(TaskQueues).get('default');
    id = await queue.schedule('send_report', { every: 1, payload: { team: 'sales' }, id: 'sales' });
    expect(id).toBe('task-queue-runtime:sales');
    const schedules = await queue.schedules();
    expect(schedules.map(({ next: _next, ...rest }) => rest)).toEqual([
      {
        id: 'task-queue-runtime:sales',
        source: 'runtime',
        name: 'send_report',
        every: 1,
        overlap: true,
      },
      {
        id: 'task-queue:yearly_audit',
        source: 'decorator',
        name: 'yearly_audit',
        cron: '0 0 1 1 *',
        timeZone: 'UTC',
        overlap: true,
      },
    ]);
    await eventually(() => (runs.length >= 2 ? runs : undefined), 15_000);
    expect(runs.map(({ payload }) => payload).slice(0, 2)).toEqual([
      { team: 'sales' },
      { team: 'sales' },
    ]);
    await app.close();
  });

  it('is kept across a restart: the boot-time reconcile leaves it, and it ticks on', async () => {
    const before = runs.length;
    const app = await start();
    const queue = app.get(TaskQueues).get('default');
    expect((await queue.schedules()).map((schedule) => schedule.id).sort()).toEqual([
      'task-queue-runtime:sales',
      'task-queue:yearly_audit',
    ]);
    await eventually(() => (runs.length >= before + 2 ? runs : undefined), 15_000);
    expect(runs.at(-1)!.payload).toEqual({ team: 'sales' });
    await app.close();
  });

  it('is replaced when scheduled again under the same id', async () => {
    const app = await start();
    const queue = app.get(TaskQueues).get('default');
    const again = await queue.schedule('send_report', {
      cron: '0 8 * * 1',
      timeZone: 'Europe/Paris',
      payload: { team: 'ops' },
      id: 'sales',
      overlap: false,
    });
    expect(again).toBe(id);
    const runtime = (await queue.schedules()).filter(({ source }) => source === 'runtime');
    expect(runtime).toEqual([
      {
        id,
        source: 'runtime',
        name: 'send_report',
        cron: '0 8 * * 1',
        timeZone: 'Europe/Paris',
        overlap: false,
        next: runtime[0]?.next,
      },
    ]);
    // Monday 08:00 in Paris.
    expect(runtime[0].next.getTime()).toBeGreaterThan(Date.now());
  });

  it('stops when unscheduled; ids without an explicit one are fresh each time', async () => {
    const app = await start();
    const queue = app.get(TaskQueues).get('default');
    const first = await queue.schedule('send_report', { every: 1, payload: { team: 'a' } });
    const second = await queue.schedule('send_report', { every: 1, payload: { team: 'b' } });
    expect(first).toMatch(/^task-queue-runtime:/);
    expect(second).not.toBe(first);
    await eventually(() => runs.some(({ payload }) => 'team' in payload && payload.team === 'a'));
    expect(await queue.unschedule(first)).toBe(true);
    expect(await queue.unschedule(second)).toBe(true);
    expect(await queue.unschedule(id)).toBe(true);
    expect(await queue.unschedule(first)).toBe(false);
    expect((await queue.schedules()).map((schedule) => schedule.id)).toEqual([
      'task-queue:yearly_audit',
    ]);
    // A tick already taken may still finish; after that, nothing more runs.
    await sleep(1500);
    const stopped = runs.length;
    await sleep(2500);
    expect(runs.length).toBe(stopped);
  });

  it('refuses what @ScheduledTask() and enqueue refuse, with the error of each', async () => {
    const app = await start();
    const queue = app.get(TaskQueues).get('default');
    await expect(queue.schedule('no_such_task', { every: 1 })).rejects.toThrow(UnknownTaskError);
    await expect(queue.schedule('send_report', { cron: 'nope' })).rejects.toThrow(
      InvalidOptionsError,
    );
    await expect(queue.schedule('send_report', { every: -1 })).rejects.toThrow(
      /every -1 is not positive/,
    );
    await expect(
      queue.schedule('send_report', { cron: '0 8 * * *', timeZone: 'Mars/Olympus' }),
    ).rejects.toThrow(/not a known IANA time zone/);
    await expect(
      queue.schedule('send_report', { every: 1, payload: { onDone: () => 1 } }),
    ).rejects.toThrow(InvalidPayloadError);
    await expect(queue.schedule('send_report', { every: 1, id: 'a:b' })).rejects.toThrow(
      InvalidOptionsError,
    );
    await expect(queue.unschedule('task-queue:yearly_audit')).rejects.toThrow(
      /@ScheduledTask\(\) method/,
    );
    await expect(queue.unschedule('sales')).rejects.toThrow(InvalidOptionsError);
    expect((await queue.schedules()).map((schedule) => schedule.id)).toEqual([
      'task-queue:yearly_audit',
    ]);
  });
});
