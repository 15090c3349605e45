/**
 * The pre-filled queue (`--only=prefilled`): for each library, `jobs` no-op jobs enqueued in
 * bulk (the enqueue figure), then its worker started on them at concurrency 1, 10, 50 (the
 * processing figures), and an idle worker's enqueue→start p50. On PostgreSQL the lanes are this
 * module, raw BullMQ and the PostgreSQL queues of bench/peers.ts; elsewhere this module and raw
 * BullMQ, at concurrency 1. Each measurement in a namespace of its own, dropped after; the
 * lanes take turns in an order rotated per measurement, in interleaved rounds.
 */
import { dropPlace, place, type Place } from './backends.js';
import { BULK_CHUNK, type Session } from './contenders.js';
import { failureFigures } from './job-failures.js';
import { inLane } from './lane-failure.js';
import type { Library } from './peers.js';
import { percentile } from './stats.js';
import { probe, sampleLatency } from './probe.js';

export interface PrefilledSettings {
  runId: string;
  rounds: number;
  /** Jobs enqueued before each worker starts. */
  jobs: number;
  /** Processing is timed until every job started, or this long after the first did. */
  capMs: number;
  concurrencies: readonly number[];
  /** The lanes, `module` and `raw` among them. */
  libraries: readonly Library[];
}

/** One lane's figures in one round, by figure id (`process-c1`, `enqueue-bulk`, …). */
export type LaneFigures = Record<string, number>;

/** One round: each library's figures, by library id. */
export type PrefilledRound = Record<string, LaneFigures>;

/** Latency samples per lane and round (after 3 not counted), fewer where a poll makes them slow. */
const LATENCY_SAMPLES = 30;
const LATENCY_MIN_SAMPLES = 5;
const LATENCY_BUDGET_MS = 8000;
/** No measurement waits longer than this for its jobs (a lane that stopped working). */
const STEP_TIMEOUT_MS = 120_000;

export const processFigure = (concurrency: number) => `process-c${concurrency}`;

/** Enqueues `jobs` jobs in calls of `BULK_CHUNK`; jobs/s. */
async function prefill(session: Session, jobs: number): Promise<number> {
  const start = performance.now();
  for (let from = 0; from < jobs; from += BULK_CHUNK) {
    await session.addBulk(from, Math.min(BULK_CHUNK, jobs - from));
  }
  return (jobs * 1000) / (performance.now() - start);
}

/**
 * Pre-fills the queue with the library's producer, then starts its worker and counts the
 * jobs it starts. The worker's process is this one: its CPU time per job is the process's.
 */
async function processing(
  library: Library,
  session: Session,
  concurrency: number,
  { jobs, capMs }: PrefilledSettings,
  at: Place,
): Promise<LaneFigures> {
  const enqueue = await prefill(session, jobs);
  // Counting starts before the worker, which takes jobs as soon as it is open.
  const counted = probe.countUpTo(jobs, capMs, STEP_TIMEOUT_MS);
  counted.catch(() => undefined);
  let worker: Session | undefined;
  try {
    worker = await library.open(at, concurrency);
    const started = await counted;
    const figure = processFigure(concurrency);
    // Jobs failed while it was measured (a deadlock's victims, on plain BullMQ): counted, not fatal.
    const failures = await worker.failures?.();
    return {
      ...failureFigures(figure, failures),
      [`enqueue-bulk-c${concurrency}`]: enqueue,
      [figure]: ((started.jobs - 1) * 1000) / started.ms,
      [`${figure}-jobs`]: started.jobs,
      [`${figure}-cpu`]: started.cpuMicros / started.jobs,
      ...(started.serverCpuMicros !== undefined && {
        [`${figure}-server-cpu`]: started.serverCpuMicros / started.jobs,
      }),
    };
  } finally {
    probe.cancel('the measurement ended');
    await worker?.close();
  }
}

/** An idle worker: p50 of enqueue→start over up to `LATENCY_SAMPLES` jobs, one at a time. */
async function latency(session: Session, pollMs = 0): Promise<LaneFigures> {
  let next = 0;
  const sample = async () => {
    await new Promise((done) => setTimeout(done, Math.random() * pollMs));
    return sampleLatency(() => session.add(next++));
  };
  for (let k = 0; k < 3; k++) await sample();
  const times: number[] = [];
  const start = performance.now();
  while (
    times.length < LATENCY_MIN_SAMPLES ||
    (times.length < LATENCY_SAMPLES && performance.now() - start < LATENCY_BUDGET_MS)
  ) {
    times.push(await sample());
  }
  return { 'latency-p50': percentile(times, 50), 'latency-samples': times.length };
}

type Turn = (library: Library, at: Place) => Promise<LaneFigures>;

/** Pre-fills with the library's producer, then measures its worker at `concurrency`. */
const processingTurn =
  (concurrency: number, settings: PrefilledSettings): Turn =>
  async (library, at) => {
    const producer = await library.open(at);
    try {
      return await processing(library, producer, concurrency, settings, at);
    } finally {
      await producer.close();
    }
  };

const latencyTurn: Turn = async (library, at) => {
  const session = await library.open(at, 1);
  try {
    return await latency(session, library.pollMs);
  } finally {
    await session.close();
  }
};

/** Jobs/s over every pre-fill of the round (each of the same size). */
function enqueueRate(lane: LaneFigures, concurrencies: readonly number[]): number {
  const secondsPerJob = concurrencies.map((c) => 1 / lane[`enqueue-bulk-c${c}`]);
  return concurrencies.length / secondsPerJob.reduce((sum, s) => sum + s, 0);
}

/**
 * Runs every round into `rounds` (one entry per complete round, so that a lane's failure
 * leaves the rounds before it to print). A failure names the figure, the lane and the round.
 */
export async function measurePrefilled(
  settings: PrefilledSettings,
  rounds: PrefilledRound[],
): Promise<void> {
  const { runId, libraries, concurrencies } = settings;
  const turns: [string, Turn][] = [
    ...concurrencies.map((c): [string, Turn] => [processFigure(c), processingTurn(c, settings)]),
    ['latency-p50', latencyTurn],
  ];
  let step = 0;
  for (let round = 0; round < settings.rounds; round++) {
    const figures: PrefilledRound = Object.fromEntries(libraries.map(({ id }) => [id, {}]));
    for (const [t, [figure, turn]] of turns.entries()) {
      for (let k = 0; k < libraries.length; k++) {
        const index = (k + round + t) % libraries.length;
        const library = libraries[index];
        // On PGlite, each library on another of the databases in every round.
        const at = place(`tqbench-${runId}-pf-${++step}`, (index + round) % libraries.length);
        const where = {
          figure: `prefilled ${figure}`,
          lane: library.label,
          round,
          rounds: settings.rounds,
        };
        try {
          Object.assign(figures[library.id], await inLane(where, () => turn(library, at)));
        } finally {
          await dropPlace(at);
        }
      }
    }
    for (const lane of Object.values(figures))
      lane['enqueue-bulk'] = enqueueRate(lane, concurrencies);
    rounds.push(figures);
    process.stderr.write('.');
  }
}
