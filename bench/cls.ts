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
import { ClsModule, ClsService } from 'nestjs-cls';
import { TaskQueues, type TaskQueue } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { dropPlace, place, type Place } from './backends.js';
import { JOB_NAME, pending, TaskQueueApp } from './contenders.js';
import { probe } from './probe.js';
import { spread, type Spread } from './stats.js';

type LaneKind = 'off' | 'control' | 'cls';
const KINDS: LaneKind[] = ['off', 'control', 'cls'];

interface ClsLane {
  kind: LaneKind;
  at: Place;
  app: TestingModule;
  queue: TaskQueue;
  /** Runs the turn's enqueues: inside a CLS context holding `tenantId` on the `cls` lane. */
  enqueuing: <T>(fn: () => Promise<T>) => Promise<T>;
  next: number;
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

const TIMEOUT_MS = 60_000;

async function openLane(kind: LaneKind, label: string): Promise<ClsLane> {
  const at = place(label, 0);
  const withCls = kind === 'cls';
  const app = await Test.createTestingModule({
    imports: [
      ...(withCls ? [ClsModule.forRoot({ global: true })] : []),
      TaskQueueApp.with(at, 10, withCls ? { cls: { propagate: ['tenantId'] } } : {}),
    ],
  })
    .setLogger({ log() {}, warn() {}, error() {} })
    .compile();
  await app.init();
  const cls = withCls ? app.get(ClsService) : undefined;
  const enqueuing = <T>(fn: () => Promise<T>): Promise<T> =>
    cls
      ? cls.run(() => {
          cls.set('tenantId', 'acme');
          return fn();
        })
      : fn();
  return { kind, at, app, queue: app.get(TaskQueues).get(at.queue), enqueuing, next: 0 };
}

/** Enqueues `jobs` one at a time while the lane's worker runs them; done once all have run. */
async function turn(lane: ClsLane, jobs: number) {
  const counted = probe.count(jobs, TIMEOUT_MS);
  const start = performance.now();
  const cpu = process.cpuUsage();
  await lane.enqueuing(async () => {
    for (let k = 0; k < jobs; k++) await lane.queue.enqueue(JOB_NAME, { i: lane.next++ });
  });
  await counted;
  const ms = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  const jobsQueue = lane.app.get(QueueBackend).queue(lane.at.queue);
  while ((await pending(jobsQueue)) > 0) await new Promise((done) => setTimeout(done, 2));
  return { jobs, ms, cpuMicros: user + system };
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
      const figure = (index: number): LaneFigure => ({
        perSecond: (totals[index].jobs / totals[index].ms) * 1000,
        cpuPerJob: totals[index].cpuMicros / totals[index].jobs,
      });
      results.push({ off: figure(0), control: figure(1), cls: figure(2) });
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
