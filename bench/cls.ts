/**
 * The per-job cost of nestjs-cls (`--only=cls`, Redis): lanes of this module (worker at
 * concurrency 10) take turns, as the tracing figure's do; in each turn a lane enqueues a burst
 * of no-op jobs one `await` at a time while its worker runs them, timed from the first enqueue
 * to the last job's start, with this process's CPU time. Three lanes: without ClsModule, the
 * same again (the A/A control, whose spread is the run's noise), and with ClsModule and
 * `cls.propagate: ['tenantId']`, enqueueing inside a CLS context that holds it: each job then
 * carries one key and runs in a CLS context of its own with that key restored.
 */
import { Test, type TestingModule } from '@nestjs/testing';
import { TaskQueues } from '@app/task-queue';
import { dropPlace, place } from './backends.js';
import { TaskQueueApp } from './contenders.js';
import { spread, type Spread } from './stats.js';
import { alternate, rateOf, type TurnLane } from './turns.js';

type LaneKind = 'off' | 'control' | 'cls';
const KINDS: LaneKind[] = ['off', 'control', 'cls'];

interface ClsLane extends TurnLane {
  kind: LaneKind;
  app: TestingModule;
}

interface LaneFigure {
  perSecond: number;
  cpuPerJob: number;
}

export interface ClsResult {
  jobsPerTurn: number;
  turns: number;
  rounds: Record<LaneKind, LaneFigure>[];
  /** Jobs/s with nestjs-cls over without, per round. */
  ratio: Spread;
  /** Jobs/s of the control over the lane without, per round: the run's noise. */
  controlRatio: Spread;
  /** CPU µs per job: with nestjs-cls minus without, per round. */
  cpuDelta: Spread;
  /** CPU µs per job: the control minus the lane without, per round. */
  controlCpuDelta: Spread;
}

async function openLane(kind: LaneKind, label: string): Promise<ClsLane> {
  const at = place(label, 0);
  const withCls = kind === 'cls';
  // Imported here, not by the bench's entry: loading nestjs-cls starts an AsyncLocalStorage
  // whose hooks every promise of the process pays for, the other figures' lanes included.
  const nestjsCls = withCls ? await import('nestjs-cls') : undefined;
  const app = await Test.createTestingModule({
    imports: [
      ...(nestjsCls ? [nestjsCls.ClsModule.forRoot({ global: true })] : []),
      TaskQueueApp.with(at, 10, withCls ? { cls: { propagate: ['tenantId'] } } : {}),
    ],
  })
    .setLogger({ log() {}, warn() {}, error() {} })
    .compile();
  await app.init();
  const cls = nestjsCls ? app.get(nestjsCls.ClsService) : undefined;
  // The `cls` lane's turns enqueue inside a CLS context holding `tenantId`.
  const enqueuing = cls
    ? <T>(enqueue: () => Promise<T>): Promise<T> =>
        cls.run(() => {
          cls.set('tenantId', 'acme');
          return enqueue();
        })
    : undefined;
  return { kind, at, app, queue: app.get(TaskQueues).get(at.queue), enqueuing, next: 0 };
}

/** The three lanes, in turns whose order rotates, for `rounds` rounds. */
export async function measureCls(
  rounds: number,
  quick: boolean,
  runId: string,
): Promise<ClsResult> {
  const [jobs, turns] = quick ? [200, 4] : [300, 10];
  const results: Record<LaneKind, LaneFigure>[] = [];
  for (let round = 0; round < rounds; round++) {
    const lanes: ClsLane[] = [];
    try {
      for (const kind of KINDS)
        lanes.push(await openLane(kind, `tqbench-${runId}-cls-${kind}-${round}`));
      const totals = await alternate(lanes, jobs, turns, round);
      const [off, control, cls] = totals.map(rateOf);
      results.push({ off, control, cls });
      process.stderr.write('.');
    } finally {
      for (const lane of lanes) {
        await lane.app.close();
        await dropPlace(lane.at);
      }
    }
  }
  return {
    jobsPerTurn: jobs,
    turns,
    rounds: results,
    ratio: spread(results.map((r) => r.cls.perSecond / r.off.perSecond)),
    controlRatio: spread(results.map((r) => r.control.perSecond / r.off.perSecond)),
    cpuDelta: spread(results.map((r) => r.cls.cpuPerJob - r.off.cpuPerJob)),
    controlCpuDelta: spread(results.map((r) => r.control.cpuPerJob - r.off.cpuPerJob)),
  };
}

export function printCls({ jobsPerTurn, turns, ...result }: ClsResult): void {
  const range = (s: Spread, digits = 2) =>
    `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  console.log(
    `\nnestjs-cls (TaskQueueModule, enqueue + run, concurrency 10, ${turns} turns of ${jobsPerTurn} jobs per round):` +
      `\n  ClsModule + cls.propagate (one key) / without: jobs/s ${range(result.ratio)}; CPU per ` +
      `job difference ${range(result.cpuDelta, 1)} µs` +
      `\n  control (without / without, the run's noise): jobs/s ${range(result.controlRatio)}; ` +
      `CPU per job difference ${range(result.controlCpuDelta, 1)} µs`,
  );
}
