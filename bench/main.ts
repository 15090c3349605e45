/**
 * `npm run bench [-- --quick] [--rounds=N] [--out=file]`: this module side by side with raw
 * BullMQ and @nestjs/bullmq, on the same Redis, in interleaved rounds. See docs/benchmarks.md.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeys, REDIS_URL } from '../test/support/redis.js';
import { Queue } from 'bullmq';
import {
  CONTENDERS,
  JOB_NAME,
  JOB_OPTIONS,
  pending,
  prefill,
  QUEUE,
  SCOPED_JOB_NAME,
  taskQueue,
  type Contender,
  type Session,
} from './contenders.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { probe, type Counted } from './probe.js';
import { percentile, spread, type Spread } from './stats.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];

/** Jobs per measurement; `--quick` keeps the whole run under a minute on a busy 2-core box. */
const SIZES = quick
  ? { sequential: 600, concurrent: 2000, bulk: 4000, c10: 3000, latency: 60 }
  : { sequential: 3000, concurrent: 10_000, bulk: 20_000, c10: 20_000, latency: 300 };

/**
 * Processing: in every round, each library drains `cycles` bursts of `burst` jobs, the three
 * taking turns burst by burst. Short turns spread each library's jobs over the whole round, so
 * the machine's second-to-second swings (±15 % from one 0.2 s burst to the next here) hit the
 * three alike instead of whichever drained its queue at the wrong moment.
 */
interface ProcessingSpec {
  id: 'process-c1' | 'process-c10' | 'process-c50';
  concurrency: number;
  burst: number;
  cycles: number;
}
const PROCESSING: ProcessingSpec[] = quick
  ? [
      { id: 'process-c1', concurrency: 1, burst: 200, cycles: 4 },
      { id: 'process-c10', concurrency: 10, burst: 1000, cycles: 3 },
      { id: 'process-c50', concurrency: 50, burst: 1000, cycles: 3 },
    ]
  : [
      { id: 'process-c1', concurrency: 1, burst: 400, cycles: 20 },
      { id: 'process-c10', concurrency: 10, burst: 2000, cycles: 8 },
      { id: 'process-c50', concurrency: 50, burst: 2000, cycles: 8 },
    ];
const ROUNDS = Number(option('rounds') ?? (quick ? 3 : 5));
/** RSS is read at each; the figure is the growth from the first to the last (10k → 100k). */
const MEMORY_CHECKPOINTS = quick ? [5000, 20_000] : [10_000, 40_000, 70_000, 100_000];
/** `--only=process-c1,memory`: a subset, while developing. */
const ONLY = option('only')?.split(',');
const OUT = resolve(option('out') ?? 'bench/results/latest.json');
const CONCURRENT_LANES = 50;
const BULK_CHUNK = 500;
const WARMUP_JOBS = 50;
const STEP_TIMEOUT_MS = 120_000;

type ContenderId = Contender['id'];
type Measure = (contender: Contender, prefix: string) => Promise<Record<string, number>>;

interface FigureSpec {
  id: string;
  label: string;
  unit: 'jobs/s' | 'ms' | 'µs/job';
}

const runId = randomBytes(3).toString('hex');
let steps = 0;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const perSecond = (jobs: number, ms: number) => (jobs * 1000) / ms;

/** Runs one measurement on a fresh key prefix, and deletes its keys after. */
async function step(contender: Contender, measure: Measure): Promise<Record<string, number>> {
  const prefix = `tqbench-${runId}-${++steps}`;
  try {
    return await measure(contender, prefix);
  } finally {
    await deleteKeys(prefix);
  }
}

/** Enqueues through the library, no worker running; a few jobs first to open connections. */
function enqueue(id: string, jobs: number, send: (session: Session) => Promise<void>): Measure {
  return async (contender, prefix) => {
    const session = await contender.open(prefix);
    try {
      for (let i = 0; i < WARMUP_JOBS; i++) await session.add(-1 - i);
      const start = performance.now();
      const cpu = process.cpuUsage();
      await send(session);
      const ms = performance.now() - start;
      const { user, system } = process.cpuUsage(cpu);
      return { [id]: perSecond(jobs, ms), [`${id}-cpu`]: (user + system) / jobs };
    } finally {
      await session.close();
    }
  };
}

/** Pre-fills the queue, starts a worker: jobs/s from the first job's start to the last's. */
function processing(id: string, jobs: number, concurrency: number, name?: string): Measure {
  return async (contender, prefix) => {
    await prefill(prefix, jobs, 1000, name);
    const counted = probe.count(jobs, STEP_TIMEOUT_MS);
    const session = await contender.open(prefix, concurrency);
    try {
      const { ms, cpuMicros } = await counted;
      return { [id]: perSecond(jobs, ms), [`${id}-cpu`]: cpuMicros / jobs };
    } finally {
      await session.close();
    }
  };
}

/** Each library's worker, open on a prefix of its own, and a plain BullMQ queue to feed it. */
interface Lane {
  contender: Contender;
  prefix: string;
  feeder: Queue;
  session: Session;
}

/** Adds `burst` jobs in one call to an idle worker's queue; jobs/s from the first start to the last. */
async function drainBurst(lane: Lane, burst: number): Promise<Counted> {
  const counted = probe.count(burst, STEP_TIMEOUT_MS);
  await lane.feeder.addBulk(
    Array.from({ length: burst }, (_, i) => ({ name: JOB_NAME, data: { i }, opts: JOB_OPTIONS })),
  );
  const result = await counted;
  // The last job's completion, before the next library's turn.
  while ((await pending(lane.feeder)) > 0) await sleep(2);
  return result;
}

/** `spec.id` and its CPU figure, for every round: the three libraries' workers open at once. */
async function measureProcessing(spec: ProcessingSpec, rounds: Rounds): Promise<void> {
  const feed = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const lanes: Lane[] = [];
  try {
    for (const contender of CONTENDERS) {
      const prefix = `tqbench-${runId}-${++steps}`;
      const feeder = new Queue(QUEUE, { connection: feed, prefix });
      lanes.push({
        contender,
        prefix,
        feeder,
        session: await contender.open(prefix, spec.concurrency),
      });
    }
    // One burst each first: connections, JIT and the workers' first fetch out of the figures.
    for (const lane of lanes) await drainBurst(lane, Math.min(spec.burst, 200));
    for (let round = 0; round < ROUNDS; round++) {
      const totals = new Map(lanes.map((lane) => [lane.contender.id, { ms: 0, cpuMicros: 0 }]));
      for (let cycle = 0; cycle < spec.cycles; cycle++) {
        const turn = round * spec.cycles + cycle;
        for (let k = 0; k < lanes.length; k++) {
          const lane = lanes[(k + turn) % lanes.length];
          const { ms, cpuMicros } = await drainBurst(lane, spec.burst);
          const total = totals.get(lane.contender.id)!;
          total.ms += ms;
          total.cpuMicros += cpuMicros;
        }
      }
      // Each burst times burst - 1 intervals: from its first job's start to its last one's.
      const jobs = (spec.burst - 1) * spec.cycles;
      const of = (id: ContenderId, pick: (t: { ms: number; cpuMicros: number }) => number) =>
        pick(totals.get(id)!);
      const figure = (pick: (t: { ms: number; cpuMicros: number }) => number) =>
        Object.fromEntries(CONTENDERS.map(({ id }) => [id, of(id, pick)])) as Record<
          ContenderId,
          number
        >;
      rounds[spec.id].push(figure((t) => perSecond(jobs, t.ms)));
      rounds[`${spec.id}-cpu`].push(figure((t) => t.cpuMicros / jobs));
      process.stderr.write('.');
    }
  } finally {
    for (const lane of lanes) {
      await lane.session.close();
      await lane.feeder.close();
      await deleteKeys(lane.prefix);
    }
    await feed.quit();
  }
}

/** One job at a time on an idle worker: from calling enqueue to the job's code starting. */
function latency(samples: number): Measure {
  return async (contender, prefix) => {
    const session = await contender.open(prefix, 1);
    try {
      const sample = async (i: number) => {
        const started = probe.next(10_000);
        const sent = performance.now();
        await session.add(i);
        const at = await started;
        // Let the worker finish the job and go back to waiting before the next one.
        await sleep(3);
        return at - sent;
      };
      for (let i = 0; i < 10; i++) await sample(-1 - i);
      const times: number[] = [];
      for (let i = 0; i < samples; i++) times.push(await sample(i));
      return { 'latency-p50': percentile(times, 50), 'latency-p99': percentile(times, 99) };
    } finally {
      await session.close();
    }
  };
}

const FIGURES: FigureSpec[] = [
  { id: 'enqueue-sequential', label: 'enqueue, sequential', unit: 'jobs/s' },
  { id: 'enqueue-concurrent', label: `enqueue, ${CONCURRENT_LANES} concurrent`, unit: 'jobs/s' },
  { id: 'enqueue-bulk', label: `enqueue, bulk (${BULK_CHUNK} per call)`, unit: 'jobs/s' },
  { id: 'process-c1', label: 'process no-op, concurrency 1', unit: 'jobs/s' },
  { id: 'process-c10', label: 'process no-op, concurrency 10', unit: 'jobs/s' },
  { id: 'process-c50', label: 'process no-op, concurrency 50', unit: 'jobs/s' },
  { id: 'enqueue-sequential-cpu', label: 'producer CPU per job, sequential', unit: 'µs/job' },
  { id: 'enqueue-concurrent-cpu', label: 'producer CPU per job, concurrent', unit: 'µs/job' },
  { id: 'enqueue-bulk-cpu', label: 'producer CPU per job, bulk', unit: 'µs/job' },
  { id: 'process-c1-cpu', label: 'worker CPU per job, concurrency 1', unit: 'µs/job' },
  { id: 'process-c10-cpu', label: 'worker CPU per job, concurrency 10', unit: 'µs/job' },
  { id: 'process-c50-cpu', label: 'worker CPU per job, concurrency 50', unit: 'µs/job' },
  { id: 'latency-p50', label: 'enqueue→start latency p50', unit: 'ms' },
  { id: 'latency-p99', label: 'enqueue→start latency p99', unit: 'ms' },
];

const MEASURES: [string[], Measure][] = [
  [
    ['enqueue-sequential'],
    enqueue('enqueue-sequential', SIZES.sequential, async (session) => {
      for (let i = 0; i < SIZES.sequential; i++) await session.add(i);
    }),
  ],
  [
    ['enqueue-concurrent'],
    enqueue('enqueue-concurrent', SIZES.concurrent, async (session) => {
      let next = 0;
      const lane = async () => {
        while (next < SIZES.concurrent) await session.add(next++);
      };
      await Promise.all(Array.from({ length: CONCURRENT_LANES }, lane));
    }),
  ],
  [
    ['enqueue-bulk'],
    enqueue('enqueue-bulk', SIZES.bulk, async (session) => {
      for (let from = 0; from < SIZES.bulk; from += BULK_CHUNK) {
        await session.addBulk(from, Math.min(BULK_CHUNK, SIZES.bulk - from));
      }
    }),
  ],
  [['latency-p50', 'latency-p99'], latency(SIZES.latency)],
];

/** This module's no-op at concurrency 10, with and without a request-scoped parameter. */
interface PerJobDi {
  concurrency: number;
  jobs: number;
  /** Jobs/s, and the worker's CPU µs per job (steadier on a busy machine). */
  rounds: { plain: number; scoped: number; plainCpu: number; scopedCpu: number }[];
  plain: Spread;
  scoped: Spread;
  plainCpu: Spread;
  scopedCpu: Spread;
  /** Jobs/s with the parameter / without, per round. */
  ratio: Spread;
}

/** Interleaved like the rest (plain first in even rounds, scoped first in odd ones). */
async function measurePerJobDi(): Promise<PerJobDi> {
  const concurrency = 10;
  const jobs = SIZES.c10;
  const plain = processing('di', jobs, concurrency);
  const scoped = processing('di', jobs, concurrency, SCOPED_JOB_NAME);
  const rounds: PerJobDi['rounds'] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const plainFirst = round % 2 === 0;
    const first = await step(taskQueue, plainFirst ? plain : scoped);
    const second = await step(taskQueue, plainFirst ? scoped : plain);
    const [without, withParam] = plainFirst ? [first, second] : [second, first];
    rounds.push({
      plain: without.di,
      scoped: withParam.di,
      plainCpu: without['di-cpu'],
      scopedCpu: withParam['di-cpu'],
    });
    process.stderr.write('.');
  }
  return {
    concurrency,
    jobs,
    rounds,
    plain: spread(rounds.map((r) => r.plain)),
    scoped: spread(rounds.map((r) => r.scoped)),
    plainCpu: spread(rounds.map((r) => r.plainCpu)),
    scopedCpu: spread(rounds.map((r) => r.scopedCpu)),
    ratio: spread(rounds.map((r) => r.scoped / r.plain)),
  };
}

const KINDS = { 'jobs/s': 'throughput', ms: 'latency', 'µs/job': 'cpu' } as const;

type Rounds = Record<string, Record<ContenderId, number>[]>;

interface FigureResult extends FigureSpec {
  kind: 'throughput' | 'latency' | 'cpu';
  rounds: Record<ContenderId, number>[];
  median: Record<ContenderId, number>;
  /** Throughput and CPU: ratio to raw BullMQ per round. Latency: difference to raw in ms. */
  vsRaw: { nest: Spread; module: Spread };
  /** Throughput only: this module / @nestjs/bullmq per round. */
  moduleVsNest?: Spread;
}

async function machine() {
  const redis = new Redis(REDIS_URL);
  try {
    const info = await redis.info('server');
    const version = (name: string) =>
      (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string })
        .version;
    return {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 1024 ** 3),
      node: process.version,
      redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
      bullmq: version('bullmq'),
      nestjsBullmq: version('@nestjs/bullmq'),
      nestjsCore: version('@nestjs/core'),
      loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
    };
  } finally {
    await redis.quit();
  }
}

function summarise(rounds: Rounds): FigureResult[] {
  return FIGURES.filter((spec) => rounds[spec.id].length > 0).map((spec) => {
    const list = rounds[spec.id];
    const kind = KINDS[spec.unit];
    const compare = (a: number, b: number) => (kind === 'latency' ? a - b : a / b);
    const of = (id: ContenderId) => list.map((round) => round[id]);
    const median = Object.fromEntries(
      CONTENDERS.map(({ id }) => [id, spread(of(id)).median]),
    ) as Record<ContenderId, number>;
    return {
      ...spec,
      kind,
      rounds: list,
      median,
      vsRaw: {
        nest: spread(list.map((r) => compare(r.nest, r.raw))),
        module: spread(list.map((r) => compare(r.module, r.raw))),
      },
      moduleVsNest: kind === 'throughput' ? spread(list.map((r) => r.module / r.nest)) : undefined,
    };
  });
}

const fmt = (n: number, unit: string) => (unit === 'ms' ? n.toFixed(2) : Math.round(n).toString());
const range = (s: Spread, digits = 2) =>
  `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;

const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms.toFixed(2)} ms`;
const versus = (f: FigureResult, s: Spread) => (f.kind === 'latency' ? signed(s.median) : range(s));

function print(
  figures: FigureResult[],
  perJobDi: PerJobDi | undefined,
  memory: MemoryResult | undefined,
): number {
  const header = [
    'figure',
    'unit',
    'BullMQ',
    '@nestjs/bullmq',
    'TaskQueueModule',
    'module/raw',
    'nest/raw',
    'module/nest',
  ];
  const rows = figures.map((f) => [
    f.label,
    f.unit,
    fmt(f.median.raw, f.unit),
    fmt(f.median.nest, f.unit),
    fmt(f.median.module, f.unit),
    versus(f, f.vsRaw.module),
    versus(f, f.vsRaw.nest),
    f.moduleVsNest ? range(f.moduleVsNest) : '',
  ]);
  if (perJobDi)
    rows.push([
      `process, request-scoped param, c${perJobDi.concurrency}`,
      'jobs/s',
      '',
      '',
      `${fmt(perJobDi.scoped.median, 'jobs/s')} (${fmt(perJobDi.plain.median, 'jobs/s')} without)`,
      '',
      '',
      '',
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const row of rows) console.log(line(row));

  const [first, last] = [memory?.checkpoints[0], memory?.checkpoints.at(-1)];
  if (memory && first && last) {
    const points = memory.checkpoints
      .map(({ processed, rssMb }) => `${rssMb.toFixed(1)} MB after ${processed}`)
      .join(', ');
    console.log(
      `\nMemory (TaskQueueModule worker, concurrency ${memory.concurrency}): RSS ${points} ` +
        `(growth ${memory.growthMb.toFixed(1)} MB); heap used after GC ` +
        `${first.heapUsedMb.toFixed(1)} → ${last.heapUsedMb.toFixed(1)} MB`,
    );
  }
  if (perJobDi)
    console.log(
      `\nPer-job DI (TaskQueueModule, concurrency ${perJobDi.concurrency}): jobs/s with a ` +
        `request-scoped parameter / without: ${range(perJobDi.ratio)}; worker CPU per job ` +
        `${perJobDi.scopedCpu.median.toFixed(0)} µs with, ${perJobDi.plainCpu.median.toFixed(0)} µs without`,
    );
  console.log('\nMedian ratio to raw BullMQ (TaskQueueModule; @nestjs/bullmq):');
  const throughput = figures.filter((f) => f.kind === 'throughput');
  for (const f of throughput) {
    console.log(
      `  ${f.id}: ${f.vsRaw.module.median.toFixed(2)}; ${f.vsRaw.nest.median.toFixed(2)}`,
    );
  }
  for (const f of figures.filter((f) => f.kind === 'latency')) {
    console.log(`  ${f.id}: ${signed(f.vsRaw.module.median)}; ${signed(f.vsRaw.nest.median)}`);
  }
  return throughput.length > 0 ? Math.min(...throughput.map((f) => f.vsRaw.module.median)) : NaN;
}

async function main(): Promise<void> {
  const started = Date.now();
  const about = await machine();
  console.log(
    `Bench ${runId}: ${quick ? 'quick' : 'full'}, ${ROUNDS} interleaved rounds, node ${about.node}, redis ${about.redis}`,
  );
  const rounds: Rounds = Object.fromEntries(FIGURES.map((f) => [f.id, []]));
  for (const [ids, measure] of MEASURES) {
    if (ONLY && !ids.some((id) => ONLY.includes(id))) continue;
    for (let round = 0; round < ROUNDS; round++) {
      // Rotated order (A B C, B C A, ...) so no library always runs first or last in a round.
      const order = CONTENDERS.map((_, k) => CONTENDERS[(k + round) % CONTENDERS.length]);
      const results: Partial<Record<ContenderId, Record<string, number>>> = {};
      for (const contender of order) results[contender.id] = await step(contender, measure);
      for (const id of Object.keys(results.raw!)) {
        rounds[id].push({
          raw: results.raw![id],
          nest: results.nest![id],
          module: results.module![id],
        });
      }
      process.stderr.write('.');
    }
  }
  for (const spec of PROCESSING) {
    if (ONLY && !ONLY.includes(spec.id)) continue;
    await measureProcessing(spec, rounds);
  }
  const perJobDi = !ONLY || ONLY.includes('di') ? await measurePerJobDi() : undefined;
  const memoryPrefix = `tqbench-${runId}-memory`;
  const memory =
    !ONLY || ONLY.includes('memory')
      ? await measureMemory(memoryPrefix, MEMORY_CHECKPOINTS).finally(() =>
          deleteKeys(memoryPrefix),
        )
      : undefined;
  const figures = summarise(rounds);
  const minRatio = print(figures, perJobDi, memory);
  const report = {
    runId,
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    rounds: ROUNDS,
    sizes: {
      ...SIZES,
      concurrentLanes: CONCURRENT_LANES,
      bulkChunk: BULK_CHUNK,
      processing: PROCESSING,
    },
    machine: { ...about, loadAverageAtEnd: os.loadavg().map((n) => Math.round(n * 100) / 100) },
    durationSeconds: Math.round((Date.now() - started) / 1000),
    figures,
    perJobDi,
    memory,
    minRatioVsBullmq: minRatio,
  };
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(OUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nResults: ${OUT} (${report.durationSeconds} s)`);
  // With --only and no throughput figure there is no ratio to give.
  console.log(`min-ratio-vs-bullmq: ${Number.isNaN(minRatio) ? 'n/a' : minRatio.toFixed(2)}`);
}

await main();
