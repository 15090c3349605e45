/** The pre-filled figure's medians and ratios (bench/prefilled.ts), for the JSON and the console. */
import { describeFailures, type FailuresByFigure } from './job-failures.js';
import type { Library } from './peers.js';
import { processFigure, type PrefilledRound, type PrefilledSettings } from './prefilled.js';
import { spread, type Spread } from './stats.js';

export interface PrefilledResult {
  jobs: number;
  capMs: number;
  concurrencies: readonly number[];
  libraries: { id: string; label: string }[];
  /** Complete rounds only: a run that failed keeps the rounds before the failure. */
  rounds: PrefilledRound[];
  /** Per library, the median of each figure over the rounds. */
  median: PrefilledRound;
  /**
   * This module against raw BullMQ, per round: jobs/s and CPU per job as a ratio, the
   * enqueue→start p50 as a difference in ms.
   */
  moduleVsRaw: Record<string, Spread>;
  /**
   * Jobs/s of this module's lanes over its peers' (bench/peers.ts), per round, where both ran:
   * keyed `<lane> / <peer> <figure>`.
   */
  versusPeers: Record<string, Spread>;
}

/** The comparisons issue targets are stated in: each module lane against each peer lane. */
const PAIRS: readonly [string, string][] = [
  ['module', 'graphile-defaults'],
  ['module-prefetch', 'graphile-defaults'],
  ['module-prefetch', 'pgboss-batch-notify'],
  ['module-prefetch', 'graphile-local-queue'],
];

const isLatency = (figure: string) => figure.startsWith('latency');

export function summarisePrefilled(
  settings: Omit<PrefilledSettings, 'runId' | 'libraries'> & { libraries: readonly Library[] },
  rounds: PrefilledRound[],
): PrefilledResult {
  const { jobs, capMs, concurrencies, libraries } = settings;
  const median: PrefilledRound = {};
  for (const { id } of libraries) {
    const figures = Object.keys(rounds[0]?.[id] ?? {});
    median[id] = Object.fromEntries(
      figures.map((figure) => [figure, spread(rounds.map((round) => round[id][figure])).median]),
    );
  }
  const compared = [
    ...concurrencies.flatMap((c) => [processFigure(c), `${processFigure(c)}-cpu`]),
    'enqueue-bulk',
    'latency-p50',
  ];
  const moduleVsRaw = Object.fromEntries(
    rounds.length === 0
      ? []
      : compared.map((figure) => {
          const per = rounds.map(({ module, raw }) =>
            isLatency(figure) ? module[figure] - raw[figure] : module[figure] / raw[figure],
          );
          return [figure, spread(per)];
        }),
  );
  const ran = new Set(libraries.map(({ id }) => id));
  const versusPeers = Object.fromEntries(
    rounds.length === 0
      ? []
      : PAIRS.filter(([lane, peer]) => ran.has(lane) && ran.has(peer)).flatMap(([lane, peer]) =>
          concurrencies.map((c) => {
            const figure = processFigure(c);
            const per = rounds.map((round) => round[lane][figure] / round[peer][figure]);
            return [`${lane} / ${peer} ${figure}`, spread(per)];
          }),
        ),
  );
  return {
    jobs,
    capMs,
    concurrencies,
    libraries: libraries.map(({ id, label }) => ({ id, label })),
    rounds,
    median,
    moduleVsRaw,
    versusPeers,
  };
}

/** Whole jobs/s, but one decimal below 10 (pg-boss's defaults poll every 2 s). */
const rate = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toString());
const ms = (n: number) => `${n.toFixed(2)} ms`;
const ratio = ({ median, min, max }: Spread) =>
  `${median.toFixed(2)} [${min.toFixed(2)}–${max.toFixed(2)}]`;
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(2)} ms`;

export function printPrefilled(result: PrefilledResult): void {
  const { median, concurrencies } = result;
  if (result.rounds.length === 0) return;
  // The server's share (bench/server-cpu.ts), where the server is a process of this machine.
  const withServer = Object.values(median).some(
    (lane) => lane[`${processFigure(concurrencies[0])}-server-cpu`] !== undefined,
  );
  console.log(
    `\nPre-filled queue: ${result.jobs} no-op jobs enqueued in bulk, then the worker ` +
      `started; jobs/s from the first job's start to the last one's, at most ` +
      `${result.capMs / 1000} s after the first; an idle worker's enqueue→start p50; medians ` +
      `of ${result.rounds.length} interleaved rounds`,
  );
  const header = [
    'library',
    ...concurrencies.map((c) => `c${c} jobs/s`),
    'enqueue bulk jobs/s',
    'p50 enqueue→start',
    ...concurrencies.map((c) => `c${c} CPU µs/job`),
    ...(withServer ? concurrencies.map((c) => `c${c} server CPU µs/job`) : []),
  ];
  const rows = result.libraries.map(({ id, label }) => [
    label,
    ...concurrencies.map((c) => rate(median[id][processFigure(c)])),
    rate(median[id]['enqueue-bulk']),
    ms(median[id]['latency-p50']),
    ...concurrencies.map((c) => rate(median[id][`${processFigure(c)}-cpu`])),
    ...(withServer
      ? concurrencies.map((c) => {
          const server = median[id][`${processFigure(c)}-server-cpu`];
          return server === undefined ? '-' : rate(server);
        })
      : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  console.log(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const row of rows) console.log(line(row));
  const failures = prefilledFailures(result);
  if (Object.keys(failures).length > 0)
    console.log(
      `Jobs left failed while measured (a no-op job fails only when the backend fails it):\n` +
        describeFailures(failures).join('\n'),
    );
  console.log('TaskQueueModule against BullMQ, per round (median [min–max]):');
  for (const [figure, s] of Object.entries(result.moduleVsRaw)) {
    console.log(`  ${figure}: ${isLatency(figure) ? signed(s.median) : ratio(s)}`);
  }
  if (Object.keys(result.versusPeers).length === 0) return;
  console.log(
    'TaskQueueModule against the PostgreSQL queues, jobs/s per round (median [min–max]):',
  );
  for (const [pair, s] of Object.entries(result.versusPeers)) console.log(`  ${pair}: ${ratio(s)}`);
}

/** Per processing figure and library, the jobs its worker left failed in each round. */
function prefilledFailures({ rounds, libraries, concurrencies }: PrefilledResult) {
  const byFigure: FailuresByFigure = {};
  for (const figure of concurrencies.map(processFigure)) {
    for (const { id, label } of libraries) {
      if (rounds.some((round) => round[id][`${figure}-failed`] === undefined)) continue;
      (byFigure[figure] ??= {})[label] = rounds.map((round) => ({
        failed: round[id][`${figure}-failed`],
        deadlocks: round[id][`${figure}-deadlocks`],
      }));
    }
  }
  return byFigure;
}

/** The machine-readable line: this module's c1 jobs/s over raw BullMQ's, median of the rounds. */
export function prefilledRatioLine(result: PrefilledResult): string {
  const c1 = result.moduleVsRaw[processFigure(1)];
  return `prefilled-c1-module-vs-bullmq: ${c1 ? c1.median.toFixed(2) : 'n/a'}`;
}
