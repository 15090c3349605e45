/**
 * Lanes of this module taking turns (the tracing and nestjs-cls figures): in each turn a lane
 * enqueues a burst of no-op jobs one `await` at a time while its worker runs them, timed from
 * the first enqueue to the last job's start, with this process's CPU time.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { TaskQueue } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import type { Place } from './backends.js';
import { JOB_NAME, pending } from './contenders.js';
import { probe } from './probe.js';

/** One lane: an application of this module with a worker, and its queue. */
export interface TurnLane {
  at: Place;
  app: INestApplicationContext;
  queue: TaskQueue;
  /** Runs a turn's enqueues (inside a context of the lane's own, where it has one). */
  enqueuing?: <T>(enqueue: () => Promise<T>) => Promise<T>;
  next: number;
}

/** What a lane did over its turns. */
export interface TurnTotals {
  jobs: number;
  ms: number;
  cpuMicros: number;
}

const TIMEOUT_MS = 60_000;

/** Enqueues `jobs` one at a time while the lane's worker runs them; done once all have run. */
async function turn(lane: TurnLane, jobs: number): Promise<TurnTotals> {
  const counted = probe.count(jobs, TIMEOUT_MS);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const enqueue = async () => {
    for (let k = 0; k < jobs; k++) await lane.queue.enqueue(JOB_NAME, { i: lane.next++ });
  };
  await (lane.enqueuing ? lane.enqueuing(enqueue) : enqueue());
  await counted;
  const ms = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  const jobsQueue = lane.app.get(QueueBackend).queue(lane.at.queue);
  while ((await pending(jobsQueue)) > 0) await new Promise((done) => setTimeout(done, 2));
  return { jobs, ms, cpuMicros: user + system };
}

/**
 * One round: a warm-up turn per lane, then `turns` turns of `jobs` jobs each, the lanes in an
 * order rotated by turn and by `round`; the totals of each lane, in the order of `lanes`.
 */
export async function alternate(
  lanes: TurnLane[],
  jobs: number,
  turns: number,
  round: number,
): Promise<TurnTotals[]> {
  for (const lane of lanes) await turn(lane, Math.min(jobs, 50));
  const totals = lanes.map(() => ({ jobs: 0, ms: 0, cpuMicros: 0 }));
  for (let t = 0; t < turns; t++) {
    for (let k = 0; k < lanes.length; k++) {
      const index = (k + t + round) % lanes.length;
      const slice = await turn(lanes[index], jobs);
      totals[index].jobs += slice.jobs;
      totals[index].ms += slice.ms;
      totals[index].cpuMicros += slice.cpuMicros;
    }
  }
  return totals;
}

/** Jobs/s and CPU µs per job of a lane's totals. */
export const rateOf = ({ jobs, ms, cpuMicros }: TurnTotals) => ({
  perSecond: (jobs / ms) * 1000,
  cpuPerJob: cpuMicros / jobs,
});
