/**
 * What the prom-client duration histogram costs per finished job: the call each run makes, alone
 * (ns per call), and whole workers of this module at concurrency 10 with metrics on (prom-client's
 * default register) and off (`metrics: false`), draining bursts in alternating turns (Redis only).
 */
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { loadJobMetrics } from '../libs/task-queue/src/observability/job-metrics.js';
import { resolveConfig } from '../libs/task-queue/src/task-queue.config.js';
import { REDIS_URL } from '../test/support/redis.js';
import { dropPlace, place } from './backends.js';
import { JOB_NAME, JOB_OPTIONS, pending, TaskQueueApp } from './contenders.js';
import { probe } from './probe.js';
import { spread, type Spread } from './stats.js';

const OBSERVES = 200_000;
const CONCURRENCY = 10;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export interface MetricsCost {
  /** One `observe` of the histogram, as a finished run makes it, in ns (median of rounds). */
  observeNs: Spread;
  concurrency: number;
  jobs: number;
  /** Worker throughput and CPU per job, with the histogram and without. */
  rounds: { on: number; off: number; onCpu: number; offCpu: number }[];
  ratio: Spread;
  onCpu: Spread;
  offCpu: Spread;
}

/** ns per `observe` over `OBSERVES` calls on 8 series (4 tasks, 2 outcomes), as the worker makes them. */
async function observeNs(): Promise<number> {
  const metrics = await loadJobMetrics(resolveConfig({ metrics: { registry: new Registry() } }));
  if (!('observe' in metrics)) throw new Error(metrics.unavailable);
  const tasks = ['send_email', 'process_data', 'charge', 'report'];
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      metrics.observe('default', tasks[i & 3], i & 4 ? 'failed' : 'completed', (i % 97) / 1000);
    }
  };
  run(20_000);
  const start = process.hrtime.bigint();
  run(OBSERVES);
  return Number(process.hrtime.bigint() - start) / OBSERVES;
}

/** Opens this module's worker on a namespace of its own, with metrics on or off. */
async function openLane(name: string, metrics: boolean, redis: Redis) {
  const at = place(name, 0);
  const app = await NestFactory.createApplicationContext(
    TaskQueueApp.with(at, CONCURRENCY, metrics ? {} : { metrics: false }),
    { logger: false },
  );
  await app.init();
  const feeder = new Queue(at.queue, { connection: redis, prefix: at.prefix });
  let next = 0;
  /** One burst of `jobs`, timed from the first job's start to the last one's. */
  const burst = async (jobs: number) => {
    const counted = probe.count(jobs, 120_000);
    await feeder.addBulk(
      Array.from({ length: jobs }, () => ({
        name: JOB_NAME,
        data: { i: next++ },
        opts: JOB_OPTIONS,
      })),
    );
    const { ms, cpuMicros } = await counted;
    while ((await pending(feeder)) > 0) await sleep(2);
    return { jobs: jobs - 1, ms, cpuMicros };
  };
  const close = async () => {
    await app.close();
    await feeder.close();
    await dropPlace(at);
  };
  return { burst, close };
}

/** `rounds` rounds: the observe loop, then `turns` bursts of `jobs` per lane, in alternating order. */
export async function measureMetricsCost(
  runId: string,
  rounds: number,
  { jobs, turns }: { jobs: number; turns: number },
): Promise<MetricsCost> {
  const observe: number[] = [];
  const results: MetricsCost['rounds'] = [];
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  try {
    for (let round = 0; round < rounds; round++) {
      observe.push(await observeNs());
      // Opened in turns too: which lane opens first alternates from round to round.
      const open = (metrics: boolean) =>
        openLane(`tqbench-${runId}-metrics-${metrics}-${round}`, metrics, redis);
      const [first, second] = round % 2 ? [false, true] : [true, false];
      const lanesByOpening = [await open(first), await open(second)];
      const [on, off] = round % 2 ? lanesByOpening.reverse() : lanesByOpening;
      try {
        const lanes = [on, off];
        const totals = lanes.map(() => ({ jobs: 0, ms: 0, cpuMicros: 0 }));
        for (const lane of lanes) await lane.burst(100);
        for (let turn = 0; turn < turns; turn++) {
          for (let k = 0; k < lanes.length; k++) {
            const index = (k + turn + round) % lanes.length;
            const slice = await lanes[index].burst(jobs);
            totals[index].jobs += slice.jobs;
            totals[index].ms += slice.ms;
            totals[index].cpuMicros += slice.cpuMicros;
          }
        }
        const [withMetrics, without] = totals;
        results.push({
          on: (withMetrics.jobs * 1000) / withMetrics.ms,
          off: (without.jobs * 1000) / without.ms,
          onCpu: withMetrics.cpuMicros / withMetrics.jobs,
          offCpu: without.cpuMicros / without.jobs,
        });
        process.stderr.write('.');
      } finally {
        await on.close();
        await off.close();
      }
    }
  } finally {
    await redis.quit();
  }
  return {
    observeNs: spread(observe),
    concurrency: CONCURRENCY,
    jobs: jobs * turns,
    rounds: results,
    ratio: spread(results.map((r) => r.on / r.off)),
    onCpu: spread(results.map((r) => r.onCpu)),
    offCpu: spread(results.map((r) => r.offCpu)),
  };
}

/** The line the bench prints. */
export function describeMetricsCost(cost: MetricsCost): string {
  const range = (s: Spread, digits: number) =>
    `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
  return (
    `Metrics (prom-client histogram): one observe ${range(cost.observeNs, 0)} ns; TaskQueueModule ` +
    `at concurrency ${cost.concurrency}, jobs/s with metrics / without: ${range(cost.ratio, 2)}; ` +
    `worker CPU per job ${range(cost.onCpu, 0)} µs with, ${range(cost.offCpu, 0)} µs without`
  );
}
