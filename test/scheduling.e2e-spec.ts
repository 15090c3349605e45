import type { ChildProcess } from 'node:child_process';
import type { TestingModule } from '@nestjs/testing';
import type { Queue } from 'bullmq';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import {
  runsTable,
  runStore,
  type RecordedRun,
  type RunStore,
} from './fixtures/scheduled.tasks.js';
import { BACKEND, testBackend } from './support/backend.js';
import { runSql } from './support/postgres.js';
import { eventually } from './support/redis.js';
import { spawnReplica, stopReplica } from './support/replicas.js';
import { startTaskApp } from './support/task-app.js';

const REPLICAS = 3;

/** The tick a scheduler job was created for: BullMQ ids them `repeat:<scheduler>:<ms>`. */
const tickOf = (run: RecordedRun) => Number(run.jobId.split(':').at(-1));

/** Ticks in order; a tick run twice appears twice, so comparing with everyTick catches it. */
function ticksOf(runs: RecordedRun[]): number[] {
  return runs.map(tickOf).sort((a, b) => a - b);
}

/** Every tick from the first to the last, `stepMs` apart. */
const everyTick = (from: number, to: number, stepMs: number) =>
  Array.from({ length: (to - from) / stepMs + 1 }, (_, i) => from + i * stepMs);

describe(`scheduled tasks across three replicas on ${BACKEND}`, () => {
  const backend = testBackend('sched');
  const { prefix } = backend;
  let app: TestingModule;
  let queue: Queue;
  let runs: RunStore;
  const replicas: ChildProcess[] = [];
  const phases: { release: string; runs: RecordedRun[] }[] = [];

  const readRuns = () => runs.read();
  const spawnRelease = (release: string) =>
    spawnReplica('scheduler.main', { ...backend.env, RELEASE: release });
  const ticksRun = (runs: RecordedRun[]) => runs.filter((run) => run.task === 'tick');
  const releaseOf = (run: RecordedRun) => (run.payload as { release: number }).release;

  /**
   * Boots three replicas of one release together and lets them run until `until` holds. Then
   * stops them all; or, with `keep`, leaves them running (the rolling deploy starts from them)
   * and takes the runs at a moment when no job is active, so that no tick taken before then is
   * still missing its run.
   */
  async function runRelease(
    release: string,
    until: (runs: RecordedRun[]) => boolean,
    { keep = false } = {},
  ) {
    const before = (await readRuns()).length;
    const started = await Promise.all(
      Array.from({ length: REPLICAS }, () => spawnRelease(release)),
    );
    replicas.push(...started);
    await eventually(
      async () => (until((await readRuns()).slice(before)) ? true : undefined),
      30_000,
      `runs of release ${release}`,
    );
    if (keep) {
      const runs = await eventually(
        async () => ((await queue.getActiveCount()) === 0 ? await readRuns() : undefined),
        30_000,
        `a moment with no active job of release ${release}`,
      );
      phases.push({ release, runs: runs.slice(before) });
      return started;
    }
    const codes = await Promise.all(started.map(stopReplica));
    expect(codes).toEqual(started.map(() => 0));
    // Runs that were under way when the replicas were told to stop finish first.
    phases.push({ release, runs: (await readRuns()).slice(before) });
    return started;
  }

  /** The replicas of release 2, still running: the rolling deploy replaces them. */
  let release2: ChildProcess[] = [];

  beforeAll(async () => {
    // The queue as other code sees it, through BullMQ, from an application that runs nothing.
    app = await startTaskApp({ backend, options: { worker: false } });
    queue = app.get(QueueBackend).queue('default');
    runs = runStore(backend.env.TASK_QUEUE_URL, prefix);
    if (BACKEND === 'postgres') {
      // Migrations make the schema; the replicas record their runs in a table of it.
      await app.get(QueueBackend).migrate();
      await runSql(
        `CREATE TABLE ${runsTable(prefix)} (seq bigserial PRIMARY KEY, run jsonb NOT NULL)`,
      );
    }
    // A scheduler that other code created on the same queue: never ours to touch.
    await queue.upsertJobScheduler('nightly-export', { pattern: '0 4 * * *' }, { name: 'export' });
  });

  afterAll(async () => {
    await Promise.all(replicas.map(stopReplica));
    await runs?.close();
  });

  it('runs a per-second task exactly once per tick for at least 8 seconds', async () => {
    await runRelease('1', (runs) => {
      const ticks = ticksRun(runs).map(tickOf);
      return ticks.length > 0 && Math.max(...ticks) - Math.min(...ticks) >= 8000;
    });
    const runs = ticksRun(phases[0].runs);
    const ticks = ticksOf(runs);
    expect(ticks).toEqual(everyTick(ticks[0], ticks.at(-1)!, 1000));
    expect(runs.every((run) => releaseOf(run) === 1)).toBe(true);
    const perReplica = new Map<number, number>();
    for (const run of runs) perReplica.set(run.pid, (perReplica.get(run.pid) ?? 0) + 1);
    console.log(
      `release 1: ${runs.length} runs over ${new Set(ticks).size} ticks ` +
        `(${ticks[0]}..${ticks.at(-1)}), runs per replica ${JSON.stringify([...perReplica.values()])}`,
    );
  });

  it('after a restart with a changed cron, runs only the new schedule, no tick twice', async () => {
    release2 = await runRelease('2', (runs) => ticksRun(runs).length >= 3, { keep: true });
    const runs = ticksRun(phases[1].runs);
    const ticks = ticksOf(runs);
    expect(ticks.every((tick) => tick % 2000 === 0)).toBe(true);
    expect(ticks).toEqual(everyTick(ticks[0], ticks.at(-1)!, 2000));
    expect(runs.every((run) => releaseOf(run) === 2)).toBe(true);
    const before = ticksOf(ticksRun(phases[0].runs));
    expect(ticks[0]).toBeGreaterThan(before.at(-1)!);
    console.log(`release 2: ${runs.length} runs over ${new Set(ticks).size} ticks, 2 s apart`);

    const scheduler = await queue.getJobScheduler('task-queue:tick');
    expect(scheduler).toMatchObject({ pattern: '*/2 * * * * *', tz: 'UTC' });
  });

  it("removes the schedule of a task dropped from the code, and leaves other code's alone", async () => {
    expect(await queue.getJobScheduler('task-queue:nightlyPurge')).toBeUndefined();
    const delayed = await queue.getDelayed();
    expect(delayed.map((job) => job.id)).not.toContainEqual(
      expect.stringContaining('nightlyPurge'),
    );
    expect(await queue.getJobScheduler('nightly-export')).toMatchObject({
      name: 'export',
      pattern: '0 4 * * *',
    });
    expect(delayed.map((job) => job.id)).toContainEqual(
      expect.stringMatching(/^repeat:nightly-export:/),
    );
  });

  it('during a rolling deploy, runs no tick twice and ends on the new schedule', async () => {
    // From the three replicas of release 2, still taking ticks since the restart's test.
    expect(release2).toHaveLength(REPLICAS);
    const before = (await readRuns()).length;
    // One replica at a time: each new one boots while old ones are still taking ticks.
    for (const replaced of release2) {
      replicas.push(await spawnRelease('1'));
      expect(await stopReplica(replaced)).toBe(0);
    }
    const rolledOut = (await readRuns()).length;
    await eventually(
      async () => (ticksRun((await readRuns()).slice(rolledOut)).length >= 3 ? true : undefined),
      30_000,
      'runs after the rollout',
    );
    expect(await Promise.all(replicas.map(stopReplica))).toEqual(replicas.map(() => 0));

    const all = ticksOf(ticksRun(await readRuns()));
    expect(new Set(all).size).toBe(all.length);
    // From the first run of the new schedule on, every second has its run, whichever replica
    // (old or new) took it.
    const newRuns = ticksRun((await readRuns()).slice(before)).filter(
      (run) => releaseOf(run) === 1,
    );
    const ticks = ticksOf(newRuns);
    expect(ticks).toEqual(everyTick(ticks[0], ticks.at(-1)!, 1000));
    expect(await queue.getJobScheduler('task-queue:tick')).toMatchObject({
      pattern: '* * * * * *',
    });
    expect(await queue.getJobScheduler('task-queue:nightlyPurge')).toMatchObject({
      pattern: '0 3 * * *',
    });
    console.log(
      `rolling deploy: ${all.length} runs over ${new Set(all).size} ticks in all phases; ` +
        `${ticks.length} runs of the new schedule, one per second`,
    );
    // Three replicas boot one after another: how long a boot takes under load is not under test.
  }, 240_000);
});
