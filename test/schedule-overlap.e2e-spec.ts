// `overlap: false`: a slow task on a 1 s interval never runs twice at once; the ticks that come
// while it runs are skipped, and each streak of skips is logged once. With the default, the same
// task does run twice at once, which shows the first test can fail. One application serves the
// three cases, each on a queue of its own, so their ticks come at the same time.
import { Injectable, Module, type LoggerService } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { ScheduledTask, Task, TaskQueues } from '@app/task-queue';
import { testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

type Run = { start: number; end: number };
const runs: Record<string, Run[]> = { guarded: [], overlapping: [], runtime: [] };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const slowly = async (into: Run[]) => {
  const run = { start: Date.now(), end: Infinity };
  into.push(run);
  await sleep(2500);
  run.end = Date.now();
};

@Injectable()
class GuardedTasks {
  @ScheduledTask({ name: 'guarded', every: 1, overlap: false })
  guarded() {
    return slowly(runs.guarded);
  }
}

@Injectable()
class OverlappingTasks {
  @ScheduledTask({ name: 'overlapping', queue: 'overlapping', every: 1 })
  overlapping() {
    return slowly(runs.overlapping);
  }
}

@Injectable()
class RuntimeTasks {
  @Task({ name: 'slow', queue: 'runtime' })
  slow() {
    return slowly(runs.runtime);
  }
}

@Module({ providers: [GuardedTasks, OverlappingTasks, RuntimeTasks] })
class OverlapModule {}

/** Keeps the warnings, says nothing. */
class Warnings implements LoggerService {
  readonly lines: string[] = [];
  log() {}
  error() {}
  warn(message: unknown) {
    this.lines.push(String(message));
  }
}

/** Whether two runs were ever active at the same time. */
const overlapped = (list: Run[]) =>
  list.some((a, i) => list.some((b, j) => i !== j && a.start < b.start && b.start < a.end));

describe('overlap: false on a schedule', () => {
  const warnings = new Warnings();
  let app: TestingModule;

  beforeAll(async () => {
    app = await startTaskApp({
      backend: testBackend('overlap'),
      imports: [OverlapModule],
      options: { queues: { default: {}, overlapping: {}, runtime: {} } },
      logger: warnings,
    });
  });

  it('@ScheduledTask({ overlap: false }): never two runs at once; skips logged once per streak', async () => {
    const queue = app.get(TaskQueues).get('default');
    expect((await queue.schedules())[0]).toMatchObject({
      id: 'task-queue:guarded',
      overlap: false,
    });
    await eventually(() => (runs.guarded.length >= 3 ? runs.guarded : undefined), 20_000);
    // A skipped tick completes without calling the task.
    const { counts } = await queue.stats();
    const skippedTicks = counts.complete - runs.guarded.filter(({ end }) => end < Infinity).length;
    // A run still going on counts as lasting until now and beyond.
    expect(overlapped(runs.guarded)).toBe(false);
    const skips = warnings.lines.filter((line) => line.includes("'task-queue:guarded'"));
    expect(skips.length).toBeGreaterThanOrEqual(1);
    // Ticks come every second and a run takes 2.5 s: about two skipped ticks per run, one line
    // per streak (each streak ends with a run, or is still going on).
    expect(skippedTicks).toBeGreaterThan(skips.length);
    expect(skips.length).toBeLessThanOrEqual(runs.guarded.length);
  });

  it('by default, the same slow task on the same interval does run twice at once', async () => {
    await eventually(() => (runs.overlapping.length >= 3 ? runs.overlapping : undefined), 20_000);
    expect(overlapped(runs.overlapping)).toBe(true);
  });

  it('schedule(..., { overlap: false }) at runtime: never two runs at once', async () => {
    const queue = app.get(TaskQueues).get('runtime');
    const id = await queue.schedule('slow', { every: 1, overlap: false });
    await eventually(() => (runs.runtime.length >= 2 ? runs.runtime : undefined), 20_000);
    await queue.unschedule(id);
    expect(overlapped(runs.runtime)).toBe(false);
    expect(warnings.lines.filter((line) => line.includes(`'${id}'`)).length).toBeGreaterThanOrEqual(
      1,
    );
  });
});
