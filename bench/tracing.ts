/**
 * The per-job cost of tracing (`--only=tracing`, Redis): lanes of this module (worker at
 * concurrency 10) take turns, as the throughput figures do; in each turn a lane enqueues a
 * burst of no-op jobs one `await` at a time through `TaskQueue.enqueue` while its worker runs
 * them, timed from the first enqueue to the last job's start, with this process's CPU time.
 * So a job's figure holds both of its spans, the context carried in the job, and its run.
 *
 * Two phases, since an SDK is registered for the whole process: first with no SDK, tracing off
 * (as without `@opentelemetry/api`: today's code path) against the API present with no SDK
 * registered; then with the SDK registered (NodeTracerProvider: AsyncLocalStorage context,
 * W3C propagator, a batch span processor whose exporter drops the spans, so no serialization
 * or network is counted), tracing off against tracing on.
 */
import { Test, type TestingModule } from '@nestjs/testing';
import * as otel from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { TaskQueues } from '@app/task-queue';
import { TaskTracing } from '../libs/task-queue/src/observability/task-queue.tracing.js';
import { dropPlace, place } from './backends.js';
import { TaskQueueApp } from './contenders.js';
import { spread, type Spread } from './stats.js';
import { alternate, rateOf, type TurnLane } from './turns.js';

type LaneKind = 'off' | 'api' | 'sdk';

interface TracingLane extends TurnLane {
  kind: LaneKind;
  app: TestingModule;
}

/** One phase's two lanes, per round: jobs/s and CPU µs per job of each. */
interface PhaseRound {
  off: { perSecond: number; cpuPerJob: number };
  on: { perSecond: number; cpuPerJob: number };
}

export interface TracingResult {
  jobsPerTurn: number;
  turns: number;
  /** No SDK: tracing off, and the API with no SDK registered. */
  noSdk: PhaseResult;
  /** SDK registered: tracing off, and tracing on. */
  sdk: PhaseResult & { spansExported: number };
}

interface PhaseResult {
  rounds: PhaseRound[];
  /** Jobs/s of the second lane over the first's, per round. */
  ratio: Spread;
  /** CPU µs per job: the second lane's minus the first's, per round. */
  cpuDelta: Spread;
  offCpu: Spread;
  onCpu: Spread;
}

async function openLane(kind: LaneKind, label: string): Promise<TracingLane> {
  const at = place(label, 0);
  const tracing = kind === 'off' ? new TaskTracing() : new TaskTracing(otel);
  const app = await Test.createTestingModule({ imports: [TaskQueueApp.with(at, 10)] })
    .overrideProvider(TaskTracing)
    .useValue(tracing)
    .setLogger({ log() {}, warn() {}, error() {} })
    .compile();
  await app.init();
  return { kind, at, app, queue: app.get(TaskQueues).get(at.queue), next: 0 };
}

async function phase(
  kinds: [LaneKind, LaneKind],
  rounds: number,
  jobs: number,
  turns: number,
  runId: string,
): Promise<PhaseResult> {
  const results: PhaseRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const lanes = [];
    for (const kind of kinds) lanes.push(await openLane(kind, `tqbench-${runId}-${kind}-${round}`));
    try {
      const [off, on] = (await alternate(lanes, jobs, turns, round)).map(rateOf);
      results.push({ off, on });
      process.stderr.write('.');
    } finally {
      for (const lane of lanes) {
        await lane.app.close();
        await dropPlace(lane.at);
      }
    }
  }
  return {
    rounds: results,
    ratio: spread(results.map((r) => r.on.perSecond / r.off.perSecond)),
    cpuDelta: spread(results.map((r) => r.on.cpuPerJob - r.off.cpuPerJob)),
    offCpu: spread(results.map((r) => r.off.cpuPerJob)),
    onCpu: spread(results.map((r) => r.on.cpuPerJob)),
  };
}

/** Both phases; the SDK is registered for the second only, and unregistered after it. */
export async function measureTracing(
  rounds: number,
  quick: boolean,
  runId: string,
): Promise<TracingResult> {
  const [jobs, turns] = quick ? [200, 4] : [300, 10];
  const noSdk = await phase(['off', 'api'], rounds, jobs, turns, runId);
  let spansExported = 0;
  const dropping: SpanExporter = {
    export(spans, done) {
      spansExported += spans.length;
      done({ code: 0 });
    },
    shutdown: () => Promise.resolve(),
  };
  const provider = new NodeTracerProvider({
    spanProcessors: [new BatchSpanProcessor(dropping)],
  });
  provider.register();
  try {
    const sdk = await phase(['off', 'sdk'], rounds, jobs, turns, runId);
    await provider.forceFlush();
    return { jobsPerTurn: jobs, turns, noSdk, sdk: { ...sdk, spansExported } };
  } finally {
    await provider.shutdown();
    otel.trace.disable();
    otel.context.disable();
    otel.propagation.disable();
  }
}

export function printTracing({ noSdk, sdk, jobsPerTurn, turns }: TracingResult): void {
  const range = (s: Spread, digits = 2) =>
    `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  console.log(
    `\nTracing (TaskQueueModule, enqueue + run, concurrency 10, ${turns} turns of ${jobsPerTurn} jobs per round):` +
      `\n  no SDK: API present / tracing off, jobs/s ${range(noSdk.ratio)}; CPU per job ` +
      `${noSdk.onCpu.median.toFixed(0)} µs against ${noSdk.offCpu.median.toFixed(0)} µs, ` +
      `difference ${range(noSdk.cpuDelta, 1)} µs` +
      `\n  SDK registered: tracing on / off, jobs/s ${range(sdk.ratio)}; CPU per job ` +
      `${sdk.onCpu.median.toFixed(0)} µs against ${sdk.offCpu.median.toFixed(0)} µs, ` +
      `difference ${range(sdk.cpuDelta, 1)} µs (${sdk.spansExported} spans exported)`,
  );
}
