import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  Task,
  TaskQueueHealthIndicator,
  TaskQueueMigrator,
  TaskQueues,
  type TaskContext,
} from '../index.js';
import { ScheduleStore } from '../scheduling/task-schedule.store.js';
import { TaskQueueTestingModule } from './index.js';

@Injectable()
class ReportTasks {
  @Task('build_report')
  build(_ctx: TaskContext, payload: { team?: string }) {
    return { built: payload.team ?? 'all' };
  }
}

// What the testing module provides in place of a backend: the in-memory ports.
describe('the testing module without a backend', () => {
  let moduleRef: TestingModule;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [TaskQueueTestingModule.forRoot()],
      providers: [ReportTasks],
    }).compile();
    await moduleRef.init();
  });

  afterEach(() => moduleRef.close());

  it('has nothing to migrate, and reports the configured backend as down, saying why', async () => {
    expect(await moduleRef.get(TaskQueueMigrator).migrate()).toEqual({ backend: 'redis' });
    const { taskQueue } = await moduleRef.get(TaskQueueHealthIndicator).isHealthy();
    expect(taskQueue).toMatchObject({
      status: 'down',
      backend: { kind: 'redis', reachable: false },
      queues: { default: { workers: null } },
    });
    expect(taskQueue.backend.error).toContain('the TaskQueueTestingModule has none');
  });

  it("keeps TaskQueue.schedule()'s schedules in its schedule store, with their next run", async () => {
    const queue = moduleRef.get(TaskQueues).get('default');
    const id = await queue.schedule('build_report', { every: 60, payload: { team: 'ops' } });
    const store = moduleRef.get(ScheduleStore).queue('default');
    expect(await store.has(id)).toBe(true);
    const [stored] = await store.list();
    expect(stored).toMatchObject({
      id,
      when: { every: 60_000 },
      template: { name: 'build_report', data: { team: 'ops' } },
    });
    expect(stored.next.getTime()).toBeGreaterThan(Date.now());

    expect(await store.remove(id)).toBe(true);
    expect(await queue.schedules()).toEqual([]);
    expect(await queue.unschedule(id)).toBe(false);
  });
});
