// `schedule: 'distributed'` across three built processes: each tick of a @Cron and of an
// @Interval (code written for @nestjs/schedule, unchanged) runs once in all of them, and a
// @Timeout still runs once in each.
import type { ChildProcess } from 'node:child_process';
import type { Job } from 'bullmq';
import type { RunStore } from './fixtures/scheduled.tasks.js';
import { BACKEND, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { spawnReplica, stopReplica } from './support/replicas.js';
import { watchReplicas } from './support/run-log.js';

const REPLICAS = 3;

/** The tick a scheduler job was created for: BullMQ ids them `repeat:<scheduler>:<ms>`. */
const tickOf = (job: Job) => Number(job.id!.split(':').at(-1));

describe(`@nestjs/schedule decorators across three replicas on ${BACKEND}`, () => {
  const backend = testBackend('nest-rep');
  let runs: RunStore;
  const replicas: ChildProcess[] = [];

  afterAll(async () => {
    await Promise.all(replicas.map(stopReplica));
    await runs?.close();
  });

  it('runs each @Cron and @Interval tick once across the replicas, each @Timeout once in each', async () => {
    const watched = await watchReplicas(backend);
    const { queue } = watched;
    runs = watched.runs;

    const started = await Promise.all(
      Array.from({ length: REPLICAS }, () =>
        spawnReplica('scheduler.main', { ...backend.env, RELEASE: 'nest' }),
      ),
    );
    replicas.push(...started);
    const count = (all: { task: string }[], task: string) =>
      all.filter((run) => run.task === task).length;
    await eventually(
      async () => {
        const all = await runs.read();
        return count(all, 'nest_tick') >= 6 && count(all, 'NestReportJobs.poll') >= 6
          ? true
          : undefined;
      },
      30_000,
      'six ticks of the @Cron and of the @Interval',
    );
    const codes = await Promise.all(started.map(stopReplica));
    expect(codes).toEqual(started.map(() => 0));

    const all = await runs.read();
    const completed = await queue.getJobs(['completed'], 0, -1);
    expect(await queue.getJobs(['failed'], 0, -1)).toEqual([]);
    for (const [task, stepMs] of [
      ['nest_tick', 1000],
      ['NestReportJobs.poll', 1000],
    ] as const) {
      const ticks = completed
        .filter((job) => job.name === task)
        .map(tickOf)
        .sort((a, b) => a - b);
      // One run per tick: as many calls as tick jobs, and no tick missing between the first
      // and the last (a tick run in every replica would triple the calls).
      expect(count(all, task)).toBe(ticks.length);
      expect(ticks).toEqual(Array.from({ length: ticks.length }, (_, i) => ticks[0] + i * stepMs));
      const pids = new Set(all.filter((run) => run.task === task).map((run) => run.pid));
      console.log(`${task}: ${ticks.length} ticks, run by ${pids.size} replica(s)`);
    }
    const warmUps = all.filter((run) => run.task === 'warmUp');
    expect(warmUps).toHaveLength(REPLICAS);
    expect(new Set(warmUps.map((run) => run.pid)).size).toBe(REPLICAS);
  });
});
