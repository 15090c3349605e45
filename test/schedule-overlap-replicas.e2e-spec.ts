// `overlap: false` across three built processes: the check reads the backend, not the process.
// Ticks of a slow 1 s schedule land in every replica; while one run is active (in any of them),
// the ticks that come are skipped in every replica, each logging its streak of skips, and the
// run log (every run's start and end, in the order they happened across the replicas) never has
// two runs of the schedule active at once. A check local to each process would let the ticks
// that land in the other replicas run. The same task without `overlap: false`, in the same
// replicas, does have runs active at once: the count can fail.
import type { ChildProcess } from 'node:child_process';
import type { RecordedRun, RunStore } from './fixtures/scheduled.tasks.js';
import { BACKEND, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { spawnReplica, stopReplica } from './support/replicas.js';
import { watchReplicas } from './support/run-log.js';

const REPLICAS = 3;

/** The most runs of `task` active at once, replaying the run log in order. */
function mostAtOnce(runs: RecordedRun[], task: string): number {
  let active = 0;
  let most = 0;
  for (const { task: event } of runs) {
    if (event === `${task}:start`) most = Math.max(most, ++active);
    if (event === `${task}:end`) active -= 1;
  }
  return most;
}

/** The skip lines a replica logged for the schedule of `task`. */
const skipLines = (output: string[], task: string) =>
  output.filter((line) => line.includes(`'task-queue:${task}'`) && line.includes('tick skipped'));

describe(`overlap: false across three replicas on ${BACKEND}`, () => {
  const backend = testBackend('overlap-rep');
  let runs: RunStore;
  const replicas: ChildProcess[] = [];

  afterAll(async () => {
    await Promise.all(replicas.map(stopReplica));
    await runs?.close();
  });

  it('never has two runs of the schedule active at once; every replica skips ticks and says so', async () => {
    const watched = await watchReplicas(backend);
    const { queue } = watched;
    runs = watched.runs;

    const outputs = Array.from({ length: REPLICAS }, (): string[] => []);
    await Promise.all(
      outputs.map(async (output) =>
        replicas.push(
          await spawnReplica('scheduler.main', { ...backend.env, RELEASE: 'overlap' }, output),
        ),
      ),
    );
    const ended = (all: RecordedRun[], task: string) =>
      all.filter((run) => run.task === `${task}:end`).length;
    await eventually(
      async () => {
        const all = await runs.read();
        return ended(all, 'guarded') >= 3 &&
          outputs.every((output) => skipLines(output, 'guarded').length > 0)
          ? true
          : undefined;
      },
      60_000,
      'three runs of the guarded schedule, and a skipped tick in each replica',
    );
    const codes = await Promise.all(replicas.map(stopReplica));
    expect(codes).toEqual(replicas.map(() => 0));

    const all = await runs.read();
    expect(mostAtOnce(all, 'guarded')).toBe(1);
    expect(mostAtOnce(all, 'unguarded')).toBeGreaterThan(1);
    // Every run that started ended (the replicas let them finish before they stopped).
    for (const task of ['guarded', 'unguarded']) {
      expect(all.filter((run) => run.task === `${task}:start`)).toHaveLength(ended(all, task));
    }

    // A skipped tick completes without calling the task; one line per streak of skips in each
    // replica, and a streak has at least one tick.
    const completed = await queue.getJobs(['completed'], 0, -1);
    const ticks = completed.filter((job) => job.name === 'guarded').length;
    const skipped = ticks - ended(all, 'guarded');
    const lines = outputs.map((output) => skipLines(output, 'guarded').length);
    expect(lines.every((count) => count > 0)).toBe(true);
    expect(skipped).toBeGreaterThanOrEqual(lines.reduce((sum, count) => sum + count, 0));
    expect(outputs.every((output) => skipLines(output, 'unguarded').length === 0)).toBe(true);
    expect(await queue.getJobs(['failed'], 0, -1)).toEqual([]);

    const pids = new Set(all.filter((run) => run.task === 'guarded:start').map((run) => run.pid));
    console.log(
      `guarded: ${ticks} ticks, ${ended(all, 'guarded')} runs (by ${pids.size} replica(s)), ` +
        `${skipped} skipped, skip lines per replica ${lines.join('/')}; ` +
        `unguarded: ${ended(all, 'unguarded')} runs, at most ` +
        `${mostAtOnce(all, 'unguarded')} at once`,
    );
  });
});
