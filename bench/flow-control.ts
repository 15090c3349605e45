/**
 * Composition figures (`--only=flow`), on Redis: `map` of 10 000 no-op jobs against raw BullMQ
 * doing the same by hand (`addBulk`, then `job.waitUntilFinished` on each job), and enqueue
 * with a deduplication `key` against without. Rounds interleaved, the order rotated per round.
 */
import { NestFactory } from '@nestjs/core';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { TaskQueues } from '@app/task-queue';
import { REDIS_URL } from '../test/support/redis.js';
import { dropPlace, place } from './backends.js';
import { JOB_NAME, JOB_OPTIONS, QUEUE, TaskQueueApp } from './contenders.js';
import { inLane } from './lane-failure.js';
import { spread, type Spread } from './stats.js';

/** Jobs per `map`, and its workers' concurrency (the same for raw BullMQ). */
const MAP_JOBS = 10_000;
const MAP_CONCURRENCY = 50;
/** Sequential enqueues per measurement of the key figure. */
const KEY_JOBS = 2000;
const WAIT_MS = 300_000;
/**
 * Raw BullMQ keeps every completed job of the batch: `waitUntilFinished` reads the job when it
 * is called, and fails ("Missing key") for one already removed by the usual retention (1000
 * completed jobs), which a batch of 10 000 outruns. `map` reads outcomes from the events.
 */
const RAW_MAP_OPTIONS = { ...JOB_OPTIONS, removeOnComplete: { age: 3600, count: 2 * MAP_JOBS } };

export interface FlowControlResult {
  mapJobs: number;
  concurrency: number;
  keyJobs: number;
  /** Per round: ms for the whole `map` (enqueue + all outcomes), and enqueues per second. */
  rounds: { mapModule: number; mapRaw: number; withKey: number; withoutKey: number }[];
  mapModuleMs: Spread;
  mapRawMs: Spread;
  /** Raw BullMQ's time over the module's, per round (> 1: `map` is faster). */
  mapRawOverModule: Spread;
  withKey: Spread;
  withoutKey: Spread;
  /** Enqueues/s with a key over without, per round. */
  keyRatio: Spread;
}

type Run = (name: string) => Promise<number>;

/** `map` of `MAP_JOBS` no-ops through this module; ms from the call to its resolution. */
const mapModule: Run = async (name) => {
  const at = place(name, 0);
  const app = await NestFactory.createApplicationContext(TaskQueueApp.with(at, MAP_CONCURRENCY), {
    logger: false,
  });
  try {
    await app.init();
    const queue = app.get(TaskQueues).get(at.queue);
    await queue.map(JOB_NAME, [{ i: -1 }]);
    const payloads = Array.from({ length: MAP_JOBS }, (_, i) => ({ i }));
    const start = performance.now();
    const results = await queue.map(JOB_NAME, payloads, { timeout: WAIT_MS / 1000 });
    const ms = performance.now() - start;
    if (results.length !== MAP_JOBS) throw new Error(`map gave ${results.length} results`);
    return ms;
  } finally {
    await app.close();
    await dropPlace(at);
  }
};

/** The same by hand with BullMQ: `addBulk`, then wait on each job with its QueueEvents. */
const mapRaw: Run = async (name) => {
  const at = place(name, 0);
  const [producer, consumer, events] = [0, 1, 2].map(
    () => new Redis(REDIS_URL, { maxRetriesPerRequest: null }),
  );
  const queue = new Queue(QUEUE, { connection: producer, prefix: at.prefix });
  const queueEvents = new QueueEvents(QUEUE, { connection: events, prefix: at.prefix });
  const worker = new Worker(QUEUE, async (job: Job) => job.data as unknown, {
    connection: consumer,
    prefix: at.prefix,
    concurrency: MAP_CONCURRENCY,
  });
  // waitUntilFinished listens for the queue's closing, once per job waited on.
  queue.setMaxListeners(MAP_JOBS + 10);
  try {
    await Promise.all([queue.waitUntilReady(), queueEvents.waitUntilReady()]);
    const waitAll = async (jobs: Job[]) =>
      Promise.all(jobs.map((job) => job.waitUntilFinished(queueEvents, WAIT_MS)));
    await waitAll(
      await queue.addBulk([{ name: JOB_NAME, data: { i: -1 }, opts: RAW_MAP_OPTIONS }]),
    );
    const start = performance.now();
    const jobs = await queue.addBulk(
      Array.from({ length: MAP_JOBS }, (_, i) => ({
        name: JOB_NAME,
        data: { i },
        opts: RAW_MAP_OPTIONS,
      })),
    );
    await waitAll(jobs);
    return performance.now() - start;
  } finally {
    await worker.close();
    await queueEvents.close();
    await queue.close();
    await Promise.all([producer, consumer, events].map((client) => client.quit()));
    await dropPlace(at);
  }
};

/** Sequential enqueues per second through this module, each with a key of its own or none. */
const enqueueRate =
  (withKey: boolean): Run =>
  async (name) => {
    const at = place(name, 0);
    const app = await NestFactory.createApplicationContext(TaskQueueApp.with(at), {
      logger: false,
    });
    try {
      await app.init();
      const queue = app.get(TaskQueues).get(at.queue);
      const send = (i: number) =>
        queue.enqueue(JOB_NAME, { i }, withKey ? { key: `${name}-${i}` } : undefined);
      for (let i = 0; i < 50; i++) await send(-1 - i);
      const start = performance.now();
      for (let i = 0; i < KEY_JOBS; i++) await send(i);
      return (KEY_JOBS * 1000) / (performance.now() - start);
    } finally {
      await app.close();
      await dropPlace(at);
    }
  };

/** Every figure, `rounds` times, in an order rotated per round. */
export async function measureFlowControl(
  runId: string,
  rounds: number,
): Promise<FlowControlResult> {
  const runs: [keyof FlowControlResult['rounds'][number], string, Run][] = [
    ['mapModule', 'TaskQueue.map', mapModule],
    ['mapRaw', 'BullMQ addBulk + waitUntilFinished', mapRaw],
    ['withKey', 'TaskQueue.enqueue with a key', enqueueRate(true)],
    ['withoutKey', 'TaskQueue.enqueue without a key', enqueueRate(false)],
  ];
  const results: FlowControlResult['rounds'] = [];
  let step = 0;
  for (let round = 0; round < rounds; round++) {
    const result = { mapModule: 0, mapRaw: 0, withKey: 0, withoutKey: 0 };
    for (let k = 0; k < runs.length; k++) {
      const [id, lane, run] = runs[(k + round) % runs.length];
      const name = `tqbench-${runId}-flow-${++step}`;
      result[id] = await inLane({ figure: 'flow', lane, round, rounds }, () => run(name));
    }
    results.push(result);
    process.stderr.write('.');
  }
  const of = (figure: (round: FlowControlResult['rounds'][number]) => number) =>
    spread(results.map(figure));
  return {
    mapJobs: MAP_JOBS,
    concurrency: MAP_CONCURRENCY,
    keyJobs: KEY_JOBS,
    rounds: results,
    mapModuleMs: of((r) => r.mapModule),
    mapRawMs: of((r) => r.mapRaw),
    mapRawOverModule: of((r) => r.mapRaw / r.mapModule),
    withKey: of((r) => r.withKey),
    withoutKey: of((r) => r.withoutKey),
    keyRatio: of((r) => r.withKey / r.withoutKey),
  };
}

const range = ({ median, min, max }: Spread, digits = 0) =>
  `${median.toFixed(digits)} [${min.toFixed(digits)}–${max.toFixed(digits)}]`;

export function printFlowControl(result: FlowControlResult): void {
  console.log(
    `\nComposition (median [min–max] of ${result.rounds.length} rounds):\n` +
      `  map of ${result.mapJobs} no-ops, concurrency ${result.concurrency}: ` +
      `TaskQueue.map ${range(result.mapModuleMs)} ms; BullMQ addBulk + waitUntilFinished ` +
      `on each ${range(result.mapRawMs)} ms; raw/map ${range(result.mapRawOverModule, 2)}\n` +
      `  enqueue, sequential (${result.keyJobs} jobs): with a key ${range(result.withKey)} ` +
      `jobs/s, without ${range(result.withoutKey)} jobs/s; with/without ${range(result.keyRatio, 2)}`,
  );
}
