/**
 * `node dist-bench/bench/drain-probe.js [--backend redis|postgres|pglite] [--jobs=10000]
 * [--concurrency=1,10,50] [--rounds=3] [--retention=keep|remove] [--only=raw,module]
 * [--prefetch=N]`:
 * processing a pre-filled queue. `jobs` no-op jobs are added first, then the worker starts;
 * jobs/s from the first job's start to the last one's, and this process's CPU time per job
 * meanwhile, for raw BullMQ and this module in interleaved rounds (the order rotated each
 * round). `--retention=remove` gives the jobs `removeOnComplete: true` (no trim per
 * completion), to see the ceiling without it. `--profile=dir` writes a CPU profile of each
 * drain (from the worker's start to the last job's) to `dir`. `--statements` (PostgreSQL) counts
 * the statements this process sent per drained job, by kind. See docs/benchmarks.md.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Session as Inspector } from 'node:inspector/promises';
import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { REDIS_URL } from '../test/support/redis.js';
import {
  BACKENDS,
  bullmqLink,
  dropAll,
  dropPlace,
  migrateBullmq,
  place,
  useBackend,
  type BackendKind,
  type Place,
} from './backends.js';
import {
  JOB_NAME,
  JOB_OPTIONS,
  pending,
  raw,
  taskQueue,
  taskQueueClaimingAhead,
  type Contender,
} from './contenders.js';
import { probe } from './probe.js';
import { median } from './stats.js';

const args = process.argv.slice(2);
const option = (name: string) =>
  args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ??
  (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);

const BACKEND = (option('backend') ?? 'redis') as BackendKind;
if (!BACKENDS.includes(BACKEND)) {
  console.error(`--backend must be one of ${BACKENDS.join(', ')}, not '${BACKEND}'`);
  process.exit(2);
}
useBackend(BACKEND);
const JOBS = Number(option('jobs') ?? 10_000);
const ROUNDS = Number(option('rounds') ?? 3);
const LEVELS = (option('concurrency') ?? '1,10,50').split(',').map(Number);
const RETENTION = option('retention') ?? 'keep';
if (![JOBS, ROUNDS, ...LEVELS].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('--jobs, --rounds and --concurrency take whole numbers above 0');
  process.exit(2);
}
if (RETENTION !== 'keep' && RETENTION !== 'remove') {
  console.error(`--retention must be keep or remove, not '${RETENTION}'`);
  process.exit(2);
}
const PREFETCH = Number(option('prefetch') ?? 0);
if (!Number.isInteger(PREFETCH) || PREFETCH < 0) {
  console.error(`--prefetch takes a whole number, not '${option('prefetch')}'`);
  process.exit(2);
}
/** The module's lane, with `--prefetch=N` claiming N jobs ahead (its id stays `module`). */
const ALL: readonly Contender[] = [
  raw,
  PREFETCH > 0 ? { ...taskQueueClaimingAhead(PREFETCH), id: 'module' } : taskQueue,
];
const ONLY = option('only')?.split(',');
const CONTENDERS = ALL.filter(({ id }) => !ONLY || ONLY.includes(id));
const OPTIONS: JobsOptions =
  RETENTION === 'keep' ? JOB_OPTIONS : { ...JOB_OPTIONS, removeOnComplete: true };
const PROFILE_DIR = option('profile');
const COUNT_STATEMENTS = args.includes('--statements');
const CHUNK = 1000;
const runId = randomBytes(3).toString('hex');
let steps = 0;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Drained {
  perSecond: number;
  cpuPerJob: number;
  /** Jobs left failed (a no-op job fails only when the backend failed its completion). */
  failed: number;
  /** Plain BullMQ: of those, the jobs its worker failed by a deadlock (bench/job-failures.ts). */
  deadlocks?: number;
}

/** Statements sent meanwhile, by their first words (`--statements`), while `tally` is set. */
let tally: Map<string, number> | undefined;
if (COUNT_STATEMENTS) {
  // Every statement, the pool's included, goes through a client's `query`.
  const proto = pg.Client.prototype as { query: unknown };
  const query = proto.query as (this: unknown, ...rest: unknown[]) => unknown;
  proto.query = function (this: unknown, ...rest: unknown[]) {
    if (tally) {
      const [first] = rest;
      const text = typeof first === 'string' ? first : String((first as { text?: unknown }).text);
      const kind = /\b(?:FROM|CALL|SELECT)\s+(\w+)\s*\(/i.exec(text)?.[1] ?? text.slice(0, 40);
      tally.set(kind, (tally.get(kind) ?? 0) + 1);
    }
    return query.apply(this, rest);
  };
}

/** Adds the jobs through a plain BullMQ queue on `at`, as a producer elsewhere would. */
async function prefill(at: Place): Promise<{ feeder: Queue; close(): Promise<void> }> {
  let feeder: Queue;
  let close: () => Promise<void>;
  if (at.kind === 'redis') {
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    feeder = new Queue(at.queue, { connection, prefix: at.prefix });
    close = async () => {
      await feeder.close();
      await connection.quit();
    };
  } else {
    await migrateBullmq(at);
    const link = bullmqLink(at, { max: 2 });
    feeder = link.queue();
    close = async () => {
      await feeder.close();
      await link.close();
    };
  }
  for (let from = 0; from < JOBS; from += CHUNK) {
    const count = Math.min(CHUNK, JOBS - from);
    await feeder.addBulk(
      Array.from({ length: count }, (_, k) => ({
        name: JOB_NAME,
        data: { i: from + k },
        opts: OPTIONS,
      })),
    );
  }
  return { feeder, close };
}

async function drain(contender: Contender, concurrency: number): Promise<Drained> {
  const at = place(`tqbench-${runId}-${++steps}`, 0);
  const fed = await prefill(at);
  try {
    if (COUNT_STATEMENTS) tally = new Map();
    const profiler = PROFILE_DIR ? new Inspector() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
      await profiler.post('Profiler.start');
    }
    const counted = probe.count(JOBS, 600_000);
    const session = await contender.open(at, concurrency);
    try {
      const { ms, cpuMicros } = await counted;
      const counts = tally;
      tally = undefined;
      if (counts) {
        const per = [...counts]
          .sort((a, b) => b[1] - a[1])
          .map(([kind, n]) => `${kind} ${(n / JOBS).toFixed(3)}`);
        console.log(`  statements per job (${contender.id}): ${per.join(', ')}`);
      }
      if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        const file = `${PROFILE_DIR}/${contender.id}-c${concurrency}-${steps}.cpuprofile`;
        await writeFile(file, JSON.stringify(profile));
        profiler.disconnect();
      }
      while ((await pending(fed.feeder)) > 0) await sleep(5);
      const { failed } = await fed.feeder.getJobCounts('failed');
      const { deadlocks } = (await session.failures?.()) ?? {};
      const perSecond = ((JOBS - 1) * 1000) / ms;
      return { perSecond, cpuPerJob: cpuMicros / (JOBS - 1), failed, deadlocks };
    } finally {
      await session.close();
    }
  } finally {
    await fed.close();
    await dropPlace(at);
  }
}

async function main(): Promise<void> {
  console.log(
    `Pre-filled queue, ${BACKEND}, ${JOBS} jobs, ${ROUNDS} rounds, retention ${RETENTION}` +
      ` (node ${process.version})`,
  );
  for (const concurrency of LEVELS) {
    const results = new Map<string, Drained[]>(CONTENDERS.map(({ id }) => [id, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < CONTENDERS.length; k++) {
        const contender = CONTENDERS[(k + round) % CONTENDERS.length];
        const drained = await drain(contender, concurrency);
        results.get(contender.id)!.push(drained);
        console.log(
          `  c${concurrency} round ${round + 1} ${contender.id.padEnd(6)} ` +
            `${drained.perSecond.toFixed(0).padStart(6)} jobs/s ` +
            `${drained.cpuPerJob.toFixed(0).padStart(5)} µs CPU/job, ${drained.failed} failed` +
            (drained.deadlocks === undefined ? '' : ` (${drained.deadlocks} by deadlocks)`),
        );
      }
    }
    const summary = [...results].map(([id, list]) => {
      const rate = median(list.map((d) => d.perSecond));
      const cpu = median(list.map((d) => d.cpuPerJob));
      return { id, rate, cpu };
    });
    const rawRate = summary.find(({ id }) => id === 'raw')?.rate;
    for (const { id, rate, cpu } of summary) {
      const ratio = rawRate ? ` (${(rate / rawRate).toFixed(2)}× raw)` : '';
      console.log(
        `c${concurrency} ${id.padEnd(6)} median ${rate.toFixed(0)} jobs/s, ${cpu.toFixed(0)} µs CPU/job${ratio}`,
      );
    }
  }
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  })
  .finally(() => dropAll(runId));
