/**
 * `npm run bench [-- --quick] [--rounds=N] [--out=file] [--backend redis|postgres|pglite]`:
 * this module side by side with raw BullMQ (and @nestjs/bullmq, on Redis), on the same
 * backend, in interleaved rounds. See docs/benchmarks.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../test/support/redis.js';
import { Queue } from 'bullmq';
import {
  BACKENDS,
  bullmqLink,
  dropAll,
  dropPlace,
  place,
  serverVersion,
  useBackend,
  type BackendKind,
  type BullmqLink,
} from './backends.js';
import {
  BULK_CHUNK,
  contenders,
  nest,
  JOB_NAME,
  JOB_OPTIONS,
  pending,
  QUEUE,
  raw,
  SCOPED_JOB_NAME,
  taskQueue,
  taskQueuePrefetch,
  type Contender,
  type Session,
} from './contenders.js';
import { describeFailures, type FailuresByFigure } from './job-failures.js';
import { measureFlowControl, printFlowControl, type FlowControlResult } from './flow-control.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { describeMetricsCost, measureMetricsCost } from './metrics-cost.js';
import { probe, sampleLatency, type Counted } from './probe.js';
import type { Place } from './backends.js';
import { catchStrayRejections, inLane, LaneFailure, strayRejection } from './lane-failure.js';
import { packageVersion, peers, type Library } from './peers.js';
import { measurePrefilled, type PrefilledRound, type PrefilledSettings } from './prefilled.js';
import { printPrefilled, prefilledRatioLine, summarisePrefilled } from './prefilled-report.js';
import { percentile, spread, type Spread } from './stats.js';
import { measureTracing, printTracing } from './tracing.js';
import { measureCls, printCls, type ClsResult } from './cls.js';
import { measureOutbox, printOutbox, type OutboxResult } from './outbox.js';
import { measureTransaction, printTransaction } from './transaction.js';
import { postgresCpuMeter } from './server-cpu.js';
import { TEST_DATABASE_URL } from '../test/support/postgres.js';
import { measureSteps, printSteps, type StepsResult } from './steps.js';

const args = process.argv.slice(2);
const USAGE = `Usage: npm run bench -- [--quick] [--rounds=N] [--only=id,...] [--out=file]
                       [--backend redis|postgres|pglite] [--jobs=N] [--seconds=S]
  --quick     reduced sizes, 3 rounds
  --rounds    interleaved rounds (default 5; the pre-filled figure: 3)
  --only      figures to measure: enqueue-sequential, enqueue-concurrent, enqueue-bulk,
              process-c1, process-c10, process-c50, latency-p50, prefilled, di, memory,
              metrics, flow, cls, outbox, tracing (the last six on Redis only),
              transaction (PostgreSQL only), steps (durable steps, any backend)
  --out       where the JSON results go (default bench/results/latest[-<backend>].json)
  --backend   where the queues live (default redis)
  --jobs      the pre-filled figure: jobs enqueued before each worker starts (default
              10000; --quick 2000)
  --seconds   the pre-filled figure: processing timed for at most this long after the
              first job starts (default 5; --quick 2)
The pre-filled figure adds pg-boss and graphile-worker on --backend postgres.
Method and figures: docs/benchmarks.md`;
const KNOWN = ['quick', 'rounds', 'only', 'out', 'backend', 'jobs', 'seconds'];
const FIGURE_IDS = [
  'enqueue-sequential',
  'enqueue-concurrent',
  'enqueue-bulk',
  'process-c1',
  'process-c10',
  'process-c50',
  'latency-p50',
  'latency-p99',
  'prefilled',
  'di',
  'memory',
  'metrics',
  'flow',
  'cls',
  'outbox',
  'tracing',
  'transaction',
  'steps',
];
const unknown = args.find(
  (arg) => arg.startsWith('-') && !KNOWN.includes(arg.replace(/^--/, '').split('=')[0]),
);
if (unknown !== undefined) {
  const help = unknown === '--help' || unknown === '-h';
  (help ? console.log : console.error)(help ? USAGE : `Unknown option '${unknown}'.\n${USAGE}`);
  process.exit(help ? 0 : 2);
}
const quick = args.includes('--quick');
/** `--name=value`, or `--name value`. */
const option = (name: string) => {
  const at = args.indexOf(`--${name}`);
  if (at >= 0 && at + 1 < args.length) return args[at + 1];
  return args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
};

const BACKEND = (option('backend') ?? 'redis') as BackendKind;
if (!BACKENDS.includes(BACKEND)) {
  console.error(`--backend must be one of ${BACKENDS.join(', ')}, not '${BACKEND}'`);
  process.exit(2);
}
useBackend(BACKEND);
const ON_REDIS = BACKEND === 'redis';
/** The libraries of this run: @nestjs/bullmq cannot be given a PostgreSQL backend factory. */
const CONTENDERS = contenders();

/**
 * Latency samples per round. On PostgreSQL (a commit, and an fsync, per job and state change)
 * and PGlite (its SQL in this process) fewer, so that a run stays within minutes; the rates
 * behind these sizes are in docs/benchmarks.md.
 */
const SIZES = quick ? { latency: 60 } : { latency: ON_REDIS ? 300 : 100 };

/**
 * A throughput figure, measured in turns: in every round, each library does `turns` slices of
 * `jobs` jobs, the three taking turns slice by slice in a rotated order. Short turns spread each
 * library's work over the whole round, so the machine's second-to-second swings (see
 * docs/benchmarks.md, Method) hit the three alike, instead of whichever library happened to
 * run its whole measurement at the wrong moment.
 */
interface TurnSpec {
  id: string;
  /** With a worker of this concurrency (processing figures); without, enqueueing only. */
  concurrency?: number;
  jobs: number;
  turns: number;
  /** Does one slice, and says how long it took from where the figure starts timing. */
  run: (lane: Lane, jobs: number) => Promise<Slice>;
}

/** Jobs per slice and slices per round of one throughput figure, full and `--quick`. */
type TurnSize = { jobs: number; turns: number; quickJobs: number; quickTurns: number };

/** Per figure; Redis's are the sizes its results were always measured with. */
const TURN_SIZES: Record<BackendKind, Record<string, TurnSize>> = {
  redis: {
    'enqueue-sequential': { jobs: 200, turns: 15, quickJobs: 100, quickTurns: 3 },
    'enqueue-concurrent': { jobs: 1000, turns: 10, quickJobs: 500, quickTurns: 2 },
    'enqueue-bulk': { jobs: 2000, turns: 10, quickJobs: 1000, quickTurns: 2 },
    'process-c1': { jobs: 100, turns: 60, quickJobs: 100, quickTurns: 4 },
    'process-c10': { jobs: 1000, turns: 12, quickJobs: 500, quickTurns: 3 },
    'process-c50': { jobs: 1000, turns: 12, quickJobs: 500, quickTurns: 3 },
    di: { jobs: 1000, turns: 12, quickJobs: 500, quickTurns: 3 },
    metrics: { jobs: 1000, turns: 8, quickJobs: 500, quickTurns: 2 },
  },
  // Fewer jobs per turn where each enqueue and completion is a commit.
  postgres: {
    'enqueue-sequential': { jobs: 50, turns: 10, quickJobs: 50, quickTurns: 2 },
    'enqueue-concurrent': { jobs: 200, turns: 6, quickJobs: 200, quickTurns: 2 },
    'enqueue-bulk': { jobs: 1000, turns: 10, quickJobs: 1000, quickTurns: 2 },
    'process-c1': { jobs: 25, turns: 16, quickJobs: 25, quickTurns: 3 },
    'process-c10': { jobs: 200, turns: 6, quickJobs: 200, quickTurns: 2 },
    'process-c50': { jobs: 200, turns: 6, quickJobs: 200, quickTurns: 2 },
    di: { jobs: 200, turns: 6, quickJobs: 200, quickTurns: 2 },
  },
  // Fewer still where the SQL runs in this process.
  pglite: {
    'enqueue-sequential': { jobs: 50, turns: 8, quickJobs: 50, quickTurns: 2 },
    'enqueue-concurrent': { jobs: 200, turns: 5, quickJobs: 200, quickTurns: 2 },
    'enqueue-bulk': { jobs: 1000, turns: 10, quickJobs: 1000, quickTurns: 2 },
    'process-c1': { jobs: 25, turns: 16, quickJobs: 25, quickTurns: 3 },
    'process-c10': { jobs: 200, turns: 5, quickJobs: 200, quickTurns: 2 },
    'process-c50': { jobs: 200, turns: 5, quickJobs: 200, quickTurns: 2 },
    di: { jobs: 200, turns: 5, quickJobs: 200, quickTurns: 2 },
  },
};

/** This run's size of figure `id`. */
function sized(id: string): { jobs: number; turns: number } {
  const size = TURN_SIZES[BACKEND][id];
  return quick ? { jobs: size.quickJobs, turns: size.quickTurns } : size;
}

const ROUNDS = Number(option('rounds') ?? (quick ? 3 : 5));
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error(`--rounds must be a whole number of 1 or more, not '${option('rounds')}'`);
  process.exit(2);
}
/** RSS is read at each; the figure is the growth from the first to the last (10k → 100k). */
const MEMORY_CHECKPOINTS = quick ? [5000, 20_000] : [10_000, 40_000, 70_000, 100_000];
/** `--only=process-c1,memory`: a subset, while developing. */
const ONLY = option('only')?.split(',');
const unknownFigure = ONLY?.find((id) => !FIGURE_IDS.includes(id));
if (unknownFigure !== undefined) {
  console.error(`--only: no figure '${unknownFigure}'; the figures are ${FIGURE_IDS.join(', ')}`);
  process.exit(2);
}
/** A whole number of at least `min`, from `--name`, or `fallback`. */
function wholeOption(name: string, fallback: number, min: number): number {
  const value = Number(option(name) ?? fallback);
  if (Number.isInteger(value) && value >= min) return value;
  console.error(`--${name} must be a whole number of ${min} or more, not '${option(name)}'`);
  process.exit(2);
}
const runId = randomBytes(3).toString('hex');
/** The pre-filled figure (bench/prefilled.ts): its lanes, sizes and rounds. */
const PREFILLED: PrefilledSettings = {
  runId,
  rounds: option('rounds') === undefined ? 3 : ROUNDS,
  jobs: wholeOption('jobs', quick ? 2000 : 10_000, 2),
  capMs: wholeOption('seconds', quick ? 2 : 5, 1) * 1000,
  // On Redis and PGlite, this module against raw BullMQ at concurrency 1.
  concurrencies: BACKEND === 'postgres' ? [1, 10, 50] : [1],
  libraries: [
    taskQueue,
    taskQueuePrefetch,
    { ...raw, label: `BullMQ ${packageVersion('bullmq')}` },
    ...(BACKEND === 'postgres' ? peers() : []),
  ] satisfies Library[],
};
// On PostgreSQL, the server's CPU per job beside the worker's, where /proc shows the server.
if (BACKEND === 'postgres') probe.serverCpu = postgresCpuMeter(TEST_DATABASE_URL);
const OUT = resolve(option('out') ?? `bench/results/latest${ON_REDIS ? '' : `-${BACKEND}`}.json`);
const CONCURRENT_LANES = 50;
const WARMUP_JOBS = 50;
const STEP_TIMEOUT_MS = 120_000;

type ContenderId = Contender['id'];
type Measure = (contender: Contender, at: Place) => Promise<Record<string, number>>;

interface FigureSpec {
  id: string;
  label: string;
  unit: 'jobs/s' | 'ms' | 'µs/job';
}

let steps = 0;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const perSecond = (jobs: number, ms: number) => (jobs * 1000) / ms;

/** Runs one measurement in a fresh namespace (slot: see `place`), and removes it after. */
async function step(
  contender: Contender,
  measure: Measure,
  slot: number,
): Promise<Record<string, number>> {
  const at = place(`tqbench-${runId}-${++steps}`, slot);
  try {
    return await measure(contender, at);
  } finally {
    await dropPlace(at);
  }
}

/** One library in one round: open in a namespace of its own, with a plain BullMQ queue on it. */
interface Lane {
  /** `control`: raw BullMQ a second time, to show how far two runs of the same code differ. */
  key: ContenderId | 'control';
  contender: Contender;
  at: Place;
  session: Session;
  /** Fills the queue for processing figures, as a producer elsewhere would. */
  feeder: Queue;
  /** Job numbers handed out so far: every payload differs. */
  next: number;
  /** The job the lane's bursts are made of. */
  jobName: string;
}

/** A lane's name in a failure's message. */
function laneName({ key, contender, jobName }: Pick<Lane, 'key' | 'contender' | 'jobName'>) {
  if (key === 'control') return `${contender.label} (control)`;
  return jobName === JOB_NAME ? contender.label : `${contender.label}, ${jobName}`;
}

/** What one turn did: `jobs` timed over `ms`, with this process's CPU time meanwhile. */
interface Slice extends Counted {
  jobs: number;
}

/** Times `jobs` enqueued by `send`. */
async function timed(jobs: number, send: () => Promise<unknown>): Promise<Slice> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await send();
  const { user, system } = process.cpuUsage(cpu);
  return { jobs, ms: performance.now() - start, cpuMicros: user + system };
}

/**
 * Adds `jobs` jobs in one call to the queue of an idle worker and waits until it has run them.
 * Timed from the first job's start to the last one's: `jobs - 1` intervals.
 */
async function drainBurst(lane: Lane, jobs: number): Promise<Slice> {
  const counted = probe.count(jobs, STEP_TIMEOUT_MS);
  await lane.feeder.addBulk(
    Array.from({ length: jobs }, () => ({
      name: lane.jobName,
      data: { i: lane.next++ },
      opts: JOB_OPTIONS,
    })),
  );
  const { ms, cpuMicros } = await counted;
  // The last job's completion, before the next library's turn.
  while ((await pending(lane.feeder)) > 0) await sleep(2);
  return { jobs: jobs - 1, ms, cpuMicros };
}

const processingTurns = (concurrency: number): TurnSpec => ({
  id: `process-c${concurrency}`,
  concurrency,
  ...sized(`process-c${concurrency}`),
  run: drainBurst,
});

const TURNS: TurnSpec[] = [
  {
    id: 'enqueue-sequential',
    ...sized('enqueue-sequential'),
    run: (lane, jobs) =>
      timed(jobs, async () => {
        for (let k = 0; k < jobs; k++) await lane.session.add(lane.next++);
      }),
  },
  {
    id: 'enqueue-concurrent',
    ...sized('enqueue-concurrent'),
    run: (lane, jobs) =>
      timed(jobs, async () => {
        const end = lane.next + jobs;
        const caller = async () => {
          while (lane.next < end) await lane.session.add(lane.next++);
        };
        await Promise.all(Array.from({ length: CONCURRENT_LANES }, caller));
      }),
  },
  {
    id: 'enqueue-bulk',
    ...sized('enqueue-bulk'),
    run: (lane, jobs) =>
      timed(jobs, async () => {
        for (let k = 0; k < jobs; k += BULK_CHUNK) {
          await lane.session.addBulk(lane.next, BULK_CHUNK);
          lane.next += BULK_CHUNK;
        }
      }),
  },
  // Short turns at concurrency 1: the finer the interleaving, the closer the control stays to
  // raw BullMQ (docs/benchmarks.md, Method: Processing).
  processingTurns(1),
  processingTurns(10),
  processingTurns(50),
];

/** What a lane runs: which library, under which key, draining which job. */
interface LaneSpec {
  key: Lane['key'];
  contender: Contender;
  jobName: string;
}

/** The libraries and the control: the lanes of every throughput figure. */
const FIGURE_LANES: LaneSpec[] = [
  ...CONTENDERS.map((contender) => ({ key: contender.id, contender, jobName: JOB_NAME })),
  { key: 'control', contender: raw, jobName: JOB_NAME },
];

/**
 * The feeding connections of one round: on Redis one client for every lane's feeder; on
 * PostgreSQL a small pool per lane on its schema (on PGlite, in the lane's database).
 */
interface Feed {
  redis?: Redis;
  links: BullmqLink[];
}

/** Opens the lanes at once for one round, with connections of their own for feeding. */
async function openLanes(
  figure: string,
  concurrency: number | undefined,
  specs: readonly LaneSpec[],
  round: number,
): Promise<[Feed, Lane[]]> {
  const feed: Feed = {
    redis: ON_REDIS ? new Redis(REDIS_URL, { maxRetriesPerRequest: null }) : undefined,
    links: [],
  };
  const lanes: Lane[] = [];
  for (const [k, spec] of specs.entries()) {
    const { key, contender, jobName } = spec;
    // On PGlite, each library on another of the lanes' databases in every round.
    const at = place(`tqbench-${runId}-${++steps}`, (k + round) % specs.length);
    const where = { figure: `${figure} (opening)`, lane: laneName(spec), round, rounds: ROUNDS };
    const session = await inLane(where, () => contender.open(at, concurrency));
    if (feed.redis) {
      const feeder = new Queue(at.queue, { connection: feed.redis, prefix: at.prefix });
      lanes.push({ key, contender, at, feeder, session, next: 0, jobName });
    } else {
      // Plain BullMQ, made once the lane's library has migrated the schema, which it checks.
      const link = bullmqLink(at, { max: 2 });
      feed.links.push(link);
      const feeder = link.queue();
      lanes.push({ key, contender, at, feeder, session, next: 0, jobName });
    }
  }
  return [feed, lanes];
}

async function closeLanes(feed: Feed, lanes: Lane[]): Promise<void> {
  for (const [k, lane] of lanes.entries()) {
    await lane.session.close();
    await lane.feeder.close();
    await feed.links[k]?.close();
    await dropPlace(lane.at);
  }
  await feed.redis?.quit();
}

/**
 * One round: a first slice per lane, not counted (connections, the workers' first fetch, JIT),
 * then `turns` turns of `jobs` jobs in an order rotated every turn. Each lane's slices summed,
 * in the order of `lanes`.
 */
async function roundOfTurns(
  figure: string,
  lanes: Lane[],
  turnRun: TurnSpec['run'],
  jobs: number,
  turns: number,
  round: number,
): Promise<Slice[]> {
  const run = (lane: Lane, n: number) =>
    inLane({ figure, lane: laneName(lane), round, rounds: ROUNDS }, () => turnRun(lane, n));
  for (const lane of lanes) await run(lane, Math.min(jobs, WARMUP_JOBS));
  const totals = lanes.map(() => ({ jobs: 0, ms: 0, cpuMicros: 0 }));
  for (let turn = 0; turn < turns; turn++) {
    for (let k = 0; k < lanes.length; k++) {
      const index = (k + round * turns + turn) % lanes.length;
      const slice = await run(lanes[index], jobs);
      totals[index].jobs += slice.jobs;
      totals[index].ms += slice.ms;
      totals[index].cpuMicros += slice.cpuMicros;
    }
  }
  return totals;
}

/**
 * `spec.id` and its CPU figure, one entry per round, each from the sum of that round's turns;
 * and in `controls`, the control's jobs/s over raw BullMQ's per round.
 */
async function measureTurns(
  spec: TurnSpec,
  { rounds, controls, failures }: Gathered,
): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const [feed, lanes] = await openLanes(spec.id, spec.concurrency, FIGURE_LANES, round);
    try {
      const totals = await roundOfTurns(spec.id, lanes, spec.run, spec.jobs, spec.turns, round);
      for (const lane of lanes) {
        const failed = await lane.session.failures?.();
        if (failed) ((failures[spec.id] ??= {})[laneName(lane)] ??= []).push(failed);
      }
      const of = (key: Lane['key']) => totals[lanes.findIndex((lane) => lane.key === key)];
      const per = (figure: (total: Slice) => number) =>
        Object.fromEntries(CONTENDERS.map(({ id }) => [id, figure(of(id))])) as PerLibrary;
      const rate = (total: Slice) => perSecond(total.jobs, total.ms);
      rounds[spec.id].push(per(rate));
      rounds[`${spec.id}-cpu`].push(per((t) => t.cpuMicros / t.jobs));
      (controls[spec.id] ??= []).push(rate(of('control')) / rate(of('raw')));
      process.stderr.write('.');
    } finally {
      await closeLanes(feed, lanes);
    }
  }
}

/** One job at a time on an idle worker: from calling enqueue to the job's code starting. */
function latency(samples: number): Measure {
  return async (contender, at) => {
    const session = await contender.open(at, 1);
    try {
      for (let i = 0; i < 10; i++) await sampleLatency(() => session.add(-1 - i));
      const times: number[] = [];
      for (let i = 0; i < samples; i++) times.push(await sampleLatency(() => session.add(i)));
      return { 'latency-p50': percentile(times, 50), 'latency-p99': percentile(times, 99) };
    } finally {
      await session.close();
    }
  };
}

/**
 * Latency on PostgreSQL and PGlite, where a commit's time swings from one second to the next
 * (an fsync on a shared disk; PGlite in this busy process): the lanes open at once, as for the
 * throughput figures, and take turns sample by sample in a rotated order. The control's p50
 * minus raw BullMQ's, per round, goes to `controls`.
 */
async function measureLatencyTurns(
  samples: number,
  rounds: Rounds,
  controls: Controls,
): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const [feed, lanes] = await openLanes('latency', 1, FIGURE_LANES, round);
    const sample = (lane: Lane) =>
      inLane({ figure: 'latency', lane: laneName(lane), round, rounds: ROUNDS }, () =>
        sampleLatency(() => lane.session.add(lane.next++)),
      );
    try {
      for (const lane of lanes) {
        for (let i = 0; i < 10; i++) await sample(lane);
      }
      const times = lanes.map((): number[] => []);
      for (let i = 0; i < samples; i++) {
        for (let k = 0; k < lanes.length; k++) {
          const index = (k + round + i) % lanes.length;
          const lane = lanes[index];
          times[index].push(await sample(lane));
        }
      }
      const of = (key: Lane['key'], p: number) =>
        percentile(times[lanes.findIndex((lane) => lane.key === key)], p);
      for (const [id, p] of [
        ['latency-p50', 50],
        ['latency-p99', 99],
      ] as const) {
        rounds[id].push({ raw: of('raw', p), module: of('module', p) });
      }
      (controls['latency-p50'] ??= []).push(of('control', 50) - of('raw', 50));
      process.stderr.write('.');
    } finally {
      await closeLanes(feed, lanes);
    }
  }
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

const MEASURES: [string[], Measure][] = [[['latency-p50', 'latency-p99'], latency(SIZES.latency)]];

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

/**
 * In turns like the throughput figures: two lanes of this module at concurrency 10, one
 * draining bursts of the plain no-op, the other of the no-op with a request-scoped parameter.
 */
async function measurePerJobDi(): Promise<PerJobDi> {
  const concurrency = 10;
  const { jobs: burst, turns } = sized('di');
  const rounds: PerJobDi['rounds'] = [];
  const lanes: LaneSpec[] = [JOB_NAME, SCOPED_JOB_NAME].map((jobName) => ({
    key: 'module',
    contender: taskQueue,
    jobName,
  }));
  for (let round = 0; round < ROUNDS; round++) {
    const [feed, open] = await openLanes('di', concurrency, lanes, round);
    try {
      const [plain, scoped] = await roundOfTurns('di', open, drainBurst, burst, turns, round);
      rounds.push({
        plain: perSecond(plain.jobs, plain.ms),
        scoped: perSecond(scoped.jobs, scoped.ms),
        plainCpu: plain.cpuMicros / plain.jobs,
        scopedCpu: scoped.cpuMicros / scoped.jobs,
      });
      process.stderr.write('.');
    } finally {
      await closeLanes(feed, open);
    }
  }
  return {
    concurrency,
    jobs: burst * turns,
    rounds,
    plain: spread(rounds.map((r) => r.plain)),
    scoped: spread(rounds.map((r) => r.scoped)),
    plainCpu: spread(rounds.map((r) => r.plainCpu)),
    scopedCpu: spread(rounds.map((r) => r.scopedCpu)),
    ratio: spread(rounds.map((r) => r.scoped / r.plain)),
  };
}

const KINDS = { 'jobs/s': 'throughput', ms: 'latency', 'µs/job': 'cpu' } as const;

/** A figure per library of the run (no @nestjs/bullmq but on Redis). */
type PerLibrary = { raw: number; module: number; nest?: number };
type Rounds = Record<string, PerLibrary[]>;
/**
 * Per throughput figure: raw BullMQ's second lane over its first, per round; on PostgreSQL and
 * PGlite also `latency-p50`: the second lane's p50 minus the first's, in ms.
 */
type Controls = Record<string, number[]>;

interface FigureResult extends FigureSpec {
  kind: 'throughput' | 'latency' | 'cpu';
  rounds: PerLibrary[];
  median: PerLibrary;
  /** Throughput and CPU: ratio to raw BullMQ per round. Latency: difference to raw in ms. */
  vsRaw: { nest?: Spread; module: Spread };
  /** Throughput only: this module / @nestjs/bullmq per round. */
  moduleVsNest?: Spread;
}

async function machine() {
  const about = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
  };
  const libraries = {
    bullmq: packageVersion('bullmq'),
    nestjsBullmq: packageVersion('@nestjs/bullmq'),
    nestjsCore: packageVersion('@nestjs/core'),
    ...(BACKEND === 'postgres' && {
      pgBoss: packageVersion('pg-boss'),
      graphileWorker: packageVersion('graphile-worker'),
    }),
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
  if (!ON_REDIS) return { ...about, database: await serverVersion(), ...libraries };
  const redis = new Redis(REDIS_URL);
  try {
    const info = await redis.info('server');
    return { ...about, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown', ...libraries };
  } finally {
    await redis.quit();
  }
}

function summarise(rounds: Rounds): FigureResult[] {
  return FIGURES.filter((spec) => rounds[spec.id].length > 0).map((spec) => {
    const list = rounds[spec.id];
    const kind = KINDS[spec.unit];
    const compare = (a: number, b: number) => (kind === 'latency' ? a - b : a / b);
    const of = (id: ContenderId) => list.map((round) => round[id]!);
    const median = Object.fromEntries(
      CONTENDERS.map(({ id }) => [id, spread(of(id)).median]),
    ) as PerLibrary;
    const withNest = median.nest !== undefined;
    return {
      ...spec,
      kind,
      rounds: list,
      median,
      vsRaw: {
        nest: withNest ? spread(list.map((r) => compare(r.nest!, r.raw))) : undefined,
        module: spread(list.map((r) => compare(r.module, r.raw))),
      },
      moduleVsNest:
        kind === 'throughput' && withNest ? spread(list.map((r) => r.module / r.nest!)) : undefined,
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
  noiseFloor: Record<string, Spread>,
): number {
  const withNest = CONTENDERS.includes(nest);
  // The columns of @nestjs/bullmq, left out where it does not run.
  const nestColumns = new Set([3, 6, 7]);
  const shown = (cells: string[]) => cells.filter((_, i) => withNest || !nestColumns.has(i));
  const header = shown([
    'figure',
    'unit',
    'BullMQ',
    '@nestjs/bullmq',
    'TaskQueueModule',
    'module/raw',
    'nest/raw',
    'module/nest',
  ]);
  const rows = figures.map((f) =>
    shown([
      f.label,
      f.unit,
      fmt(f.median.raw, f.unit),
      withNest ? fmt(f.median.nest!, f.unit) : '',
      fmt(f.median.module, f.unit),
      versus(f, f.vsRaw.module),
      f.vsRaw.nest ? versus(f, f.vsRaw.nest) : '',
      f.moduleVsNest ? range(f.moduleVsNest) : '',
    ]),
  );
  if (perJobDi)
    rows.push(
      shown([
        `process, request-scoped param, c${perJobDi.concurrency}`,
        'jobs/s',
        '',
        '',
        `${fmt(perJobDi.scoped.median, 'jobs/s')} (${fmt(perJobDi.plain.median, 'jobs/s')} without)`,
        '',
        '',
        '',
      ]),
    );
  // With --only and none of the table's figures (prefilled, memory, ...), no table.
  if (rows.length > 0) {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
    console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
    for (const row of rows) console.log(line(row));
  }

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
  const floor = Object.entries(noiseFloor);
  if (floor.length > 0) {
    console.log(
      '\nNoise floor: raw BullMQ against itself (a second lane of it, in the same turns), ' +
        'jobs/s ratio per round' +
        (noiseFloor['latency-p50'] ? ' (latency: p50 difference in ms):' : ':'),
    );
    for (const [id, s] of floor) {
      // Latency (on PostgreSQL and PGlite): the control's p50 minus raw BullMQ's.
      const latency = id.startsWith('latency');
      console.log(
        `  ${id}: ${latency ? `${signed(s.median)} [${signed(s.min)}, ${signed(s.max)}]` : range(s)}`,
      );
    }
  }
  if (!withNest)
    console.log(
      `\n@nestjs/bullmq is left out on ${BACKEND}: its BullModule cannot pass BullMQ a ` +
        'backend factory, which BullMQ needs for PostgreSQL. Memory is measured on Redis only.',
    );
  const throughput = figures.filter((f) => f.kind === 'throughput');
  const nestSide = (ratio: string | undefined) => (ratio === undefined ? '' : `; ${ratio}`);
  if (figures.length > 0)
    console.log(
      `\nMedian ratio to raw BullMQ (TaskQueueModule${withNest ? '; @nestjs/bullmq' : ''}):`,
    );
  for (const f of throughput) {
    const nestRatio = f.vsRaw.nest?.median.toFixed(2);
    console.log(`  ${f.id}: ${f.vsRaw.module.median.toFixed(2)}${nestSide(nestRatio)}`);
  }
  for (const f of figures.filter((f) => f.kind === 'latency')) {
    const nestDiff = f.vsRaw.nest && signed(f.vsRaw.nest.median);
    console.log(`  ${f.id}: ${signed(f.vsRaw.module.median)}${nestSide(nestDiff)}`);
  }
  return throughput.length > 0 ? Math.min(...throughput.map((f) => f.vsRaw.module.median)) : NaN;
}

/** What the run has measured so far: on a lane's failure, what is printed and saved. */
interface Gathered {
  rounds: Rounds;
  controls: Controls;
  /** Per throughput figure and lane, per round: the jobs its worker left failed. */
  failures: FailuresByFigure;
  prefilled: PrefilledRound[];
  perJobDi?: PerJobDi;
  metricsCost?: Awaited<ReturnType<typeof measureMetricsCost>>;
  memory?: MemoryResult;
  flowControl?: FlowControlResult;
  cls?: ClsResult;
  outbox?: OutboxResult;
  steps?: StepsResult;
}

const wanted = (...ids: string[]) => !ONLY || ids.some((id) => ONLY.includes(id));

/** The measurements before the tables, in order; each fills `into` as it completes. */
async function measure(into: Gathered): Promise<void> {
  const { rounds, controls } = into;
  for (const spec of TURNS) {
    if (wanted(spec.id)) await measureTurns(spec, into);
  }
  for (const [ids, measure] of MEASURES) {
    if (!wanted(...ids)) continue;
    if (!ON_REDIS) {
      await measureLatencyTurns(SIZES.latency, rounds, controls);
      continue;
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Rotated order (A B C, B C A, ...) so no library always runs first or last in a round.
      const order = CONTENDERS.map((_, k) => CONTENDERS[(k + round) % CONTENDERS.length]);
      const results: Partial<Record<ContenderId, Record<string, number>>> = {};
      for (const contender of order) {
        const slot = (CONTENDERS.indexOf(contender) + round) % CONTENDERS.length;
        const where = { figure: ids.join(', '), lane: contender.label, round, rounds: ROUNDS };
        results[contender.id] = await inLane(where, () => step(contender, measure, slot));
      }
      for (const id of Object.keys(results.raw!)) {
        rounds[id].push({
          raw: results.raw![id],
          ...(results.nest && { nest: results.nest[id] }),
          module: results.module![id],
        });
      }
      process.stderr.write('.');
    }
  }
  if (wanted('prefilled')) await measurePrefilled(PREFILLED, into.prefilled);
  if (wanted('di')) into.perJobDi = await measurePerJobDi();
  // The prom-client histogram's cost per job (Redis only: its figure is this module's own code).
  const module = taskQueue.label;
  if (ON_REDIS && wanted('metrics'))
    into.metricsCost = await inLane({ figure: 'metrics', lane: module }, () =>
      measureMetricsCost(runId, ROUNDS, sized('metrics')),
    );
  const memoryPrefix = `tqbench-${runId}-memory`;
  if (ON_REDIS && wanted('memory'))
    into.memory = await inLane({ figure: 'memory', lane: module }, () =>
      measureMemory(memoryPrefix, MEMORY_CHECKPOINTS).finally(() =>
        dropPlace({ kind: 'redis', prefix: memoryPrefix, queue: QUEUE }),
      ),
    );
  // map and keyed enqueue (bench/flow-control.ts), on Redis.
  if (ON_REDIS && wanted('flow')) into.flowControl = await measureFlowControl(runId, ROUNDS);
  // A CLS context per run, with one key carried (bench/cls.ts), on Redis.
  if (ON_REDIS && wanted('cls'))
    into.cls = await inLane({ figure: 'cls', lane: module }, () =>
      measureCls(ROUNDS, quick, runId),
    );
  // Transactional enqueue through the outbox (bench/outbox.ts): needs the PostgreSQL server too.
  if (ON_REDIS && wanted('outbox'))
    into.outbox = await inLane({ figure: 'outbox', lane: module }, () =>
      measureOutbox(runId, ROUNDS, quick),
    );
  // Durable steps (bench/steps.ts): throughput with steps, a sleep's resume, sendEvent.
  if (wanted('steps'))
    into.steps = await inLane({ figure: 'steps', lane: module }, () =>
      measureSteps(runId, ROUNDS, quick, ON_REDIS),
    );
}

async function main(): Promise<boolean> {
  const started = Date.now();
  const about = await machine();
  const store = 'redis' in about ? `redis ${about.redis}` : `on ${about.database}`;
  console.log(
    `Bench ${runId}: ${quick ? 'quick' : 'full'}, ${ROUNDS} interleaved rounds, node ${about.node}, ${store}`,
  );
  const gathered: Gathered = {
    rounds: Object.fromEntries(FIGURES.map((f) => [f.id, []])),
    controls: {},
    failures: {},
    prefilled: [],
  };
  let failure: unknown;
  await measure(gathered).catch((error: unknown) => (failure = error));
  const { rounds, controls, perJobDi, metricsCost, memory, flowControl, outbox } = gathered;
  const figures = summarise(rounds);
  const noiseFloor = Object.fromEntries(
    Object.entries(controls).map(([id, ratios]) => [id, spread(ratios)]),
  );
  const minRatio = print(figures, perJobDi, memory, noiseFloor);
  const prefilled = wanted('prefilled')
    ? summarisePrefilled(PREFILLED, gathered.prefilled)
    : undefined;
  if (Object.keys(gathered.failures).length > 0)
    console.log(
      `\nJobs left failed by the workers, over the rounds (a no-op job fails only when the ` +
        `backend fails it):\n${describeFailures(gathered.failures).join('\n')}`,
    );
  if (prefilled) printPrefilled(prefilled);
  if (metricsCost) console.log(`\n${describeMetricsCost(metricsCost)}`);
  if (flowControl) printFlowControl(flowControl);
  if (gathered.cls) printCls(gathered.cls);
  if (outbox) printOutbox(outbox);
  if (gathered.steps) printSteps(gathered.steps);
  let transaction: Awaited<ReturnType<typeof measureTransaction>> | undefined;
  if (failure === undefined && BACKEND === 'postgres' && wanted('transaction')) {
    await inLane({ figure: 'transaction', lane: taskQueue.label }, () =>
      measureTransaction(ROUNDS, quick, runId),
    ).then(
      (result) => printTransaction((transaction = result)),
      (error: unknown) => (failure = error),
    );
  }
  // Last: it registers an OpenTelemetry SDK in this process for its second phase.
  let tracing: Awaited<ReturnType<typeof measureTracing>> | undefined;
  if (failure === undefined && ON_REDIS && wanted('tracing')) {
    await inLane({ figure: 'tracing', lane: taskQueue.label }, () =>
      measureTracing(ROUNDS, quick, runId),
    ).then(
      (result) => printTracing((tracing = result)),
      (error: unknown) => (failure = error),
    );
  }
  failure ??= strayRejection();
  const report = {
    runId,
    backend: BACKEND,
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    rounds: ROUNDS,
    sizes: {
      ...SIZES,
      concurrentLanes: CONCURRENT_LANES,
      bulkChunk: BULK_CHUNK,
      turns: TURNS.map(({ id, jobs, turns }) => ({ id, jobs, turns })),
    },
    machine: { ...about, loadAverageAtEnd: os.loadavg().map((n) => Math.round(n * 100) / 100) },
    durationSeconds: Math.round((Date.now() - started) / 1000),
    ...(failure !== undefined && { failure: describeFailure(failure) }),
    figures,
    prefilled,
    perJobDi,
    metricsCost,
    memory,
    flowControl,
    cls: gathered.cls,
    outbox,
    steps: gathered.steps,
    tracing,
    transaction,
    noiseFloor,
    jobFailures: gathered.failures,
    minRatioVsBullmq: minRatio,
  };
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(OUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nResults: ${OUT} (${report.durationSeconds} s)`);
  if (failure !== undefined) {
    console.error(
      `\nBench failed, figures above are those gathered before: ${describeFailure(failure)}`,
    );
    return false;
  }
  // With --only and no throughput figure there is no ratio to give.
  console.log(`min-ratio-vs-bullmq: ${Number.isNaN(minRatio) ? 'n/a' : minRatio.toFixed(2)}`);
  if (prefilled) console.log(prefilledRatioLine(prefilled));
  return true;
}

const describeFailure = (failure: unknown) =>
  failure instanceof LaneFailure
    ? failure.message
    : failure instanceof Error
      ? (failure.stack ?? failure.message)
      : String(failure);

const stopCatching = catchStrayRejections();
let succeeded = false;
try {
  succeeded = await main();
} catch (error) {
  console.error(`\nBench failed: ${describeFailure(error)}`);
} finally {
  await dropAll(runId);
  stopCatching();
}
// A failed lane may leave a worker or a timer behind: the run ends here all the same.
if (!succeeded) process.exit(1);
