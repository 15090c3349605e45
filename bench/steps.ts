/**
 * Durable steps (`--only=steps`, any backend), in one application of this module per round
 * (worker at concurrency 10):
 * - throughput: lanes of a no-op task, the same with 1 step, and with 5 steps, taking turns in
 *   an order rotated by round; each turn enqueues a batch and times it until the last job of
 *   the batch has finished its body. The ratios to the plain task are per round.
 * - a sleep's resume latency: `ctx.sleep` of a short time, one job at a time; the time from the
 *   sleep's due time (taken just before it, so a little early) to the resumed execution.
 * - `sendEvent` with many waiters, one matching: the index holds `waiters - 1` waiters of other
 *   jobs (their entries written straight into the index: a send reads them and leaves those
 *   whose `match` the event fails, as it would for jobs that really wait) and one job that
 *   really waits; the time of `sendEvent` until it returns (the woken job promoted).
 */
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Task,
  TaskQueueModule,
  TaskQueues,
  type TaskContext,
  type TaskQueue,
} from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { dropPlace, moduleConnection, place } from './backends.js';
import { percentile, spread, type Spread } from './stats.js';

const EVENT = 'bench.confirmed';
/** How long each sleep of the latency figure is, in seconds. */
const NAP = 0.2;

/** Counts the bodies that reached their end, for the throughput lanes to wait on. */
class Finished {
  count = 0;
  private waiter?: { target: number; done: () => void };

  hit(): void {
    this.count += 1;
    if (this.waiter && this.count >= this.waiter.target) this.waiter.done();
  }

  until(target: number): Promise<void> {
    if (this.count >= target) return Promise.resolve();
    return new Promise((done) => (this.waiter = { target, done }));
  }
}

const finished = new Finished();

@Injectable()
class StepBenchTasks {
  @Task('plain')
  plain(): void {
    finished.hit();
  }

  @Task('steps1')
  async steps1(ctx: TaskContext): Promise<void> {
    await ctx.step('one', () => 1);
    finished.hit();
  }

  @Task('steps5')
  async steps5(ctx: TaskContext): Promise<void> {
    for (let n = 1; n <= 5; n++) await ctx.step(`s${n}`, () => n);
    finished.hit();
  }

  /** Resolves with how late it resumed past its sleep's due time, in ms. */
  @Task('nap')
  async nap(ctx: TaskContext): Promise<number> {
    const due = await ctx.step('due', () => Date.now() + NAP * 1000);
    await ctx.sleep(NAP);
    return Date.now() - due;
  }

  @Task('confirm')
  async confirm(ctx: TaskContext, { userId }: { userId: number }): Promise<unknown> {
    return ctx.waitForEvent(EVENT, { match: { userId }, timeout: 600 });
  }
}

@Module({ providers: [StepBenchTasks] })
class StepBenchModule {}

type Lane = 'plain' | 'steps1' | 'steps5';
const LANES: Lane[] = ['plain', 'steps1', 'steps5'];

export interface StepsResult {
  jobsPerTurn: number;
  turns: number;
  /** Jobs/s of each lane, per round. */
  rounds: Record<Lane, number>[];
  /** Jobs/s of the 1-step and 5-step tasks over the plain one's, per round. */
  ratio1: Spread;
  ratio5: Spread;
  /** Resume latency past the due time, ms, over every sleep of every round. */
  resume: { samples: number; p50: number; p95: number; max: number };
  /** `sendEvent` with `waiters` waiters, one matching: ms per send. */
  send: { waiters: number; samples: number; ms: Spread };
}

/** Enqueues `jobs` jobs of `lane` in one batch; jobs/s until the last has finished its body. */
async function turn(queue: TaskQueue, lane: Lane, jobs: number): Promise<number> {
  const target = finished.count + jobs;
  const start = performance.now();
  await queue.enqueueMany(Array.from({ length: jobs }, () => ({ name: lane })));
  await finished.until(target);
  return (jobs / (performance.now() - start)) * 1000;
}

/** One round's application, on a namespace of its own. */
async function open(label: string) {
  const at = place(label, 0);
  const app = await NestFactory.createApplicationContext(
    {
      module: StepBenchModule,
      imports: [
        TaskQueueModule.forRoot({
          ...moduleConnection(at),
          queues: { [at.queue]: { concurrency: 10 } },
          defaultQueue: at.queue,
        }),
      ],
    },
    { logger: false },
  );
  await app.init();
  if (at.kind !== 'redis' && !(await app.get(QueueBackend).whenReady(30_000))) {
    await app.close();
    throw new Error(`steps: ${at.kind} not ready in ${at.prefix}`);
  }
  return { at, app, queue: app.get(TaskQueues).get(at.queue) };
}

/** The three figures, `rounds` times. */
export async function measureSteps(
  runId: string,
  rounds: number,
  quick: boolean,
  onRedis: boolean,
): Promise<StepsResult> {
  const [jobs, turns] = quick ? [200, 2] : onRedis ? [500, 6] : [100, 4];
  const [naps, sends, waiters] = quick ? [10, 3, 2000] : [30, 5, 10_000];
  const perRound: Record<Lane, number>[] = [];
  const lateness: number[] = [];
  const sendMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const { at, app, queue } = await open(`tqbench-${runId}-steps-${round}`);
    try {
      const jobsPerSecond: Record<Lane, number[]> = { plain: [], steps1: [], steps5: [] };
      for (const lane of LANES) await turn(queue, lane, Math.min(jobs, 50));
      for (let t = 0; t < turns; t++) {
        for (let k = 0; k < LANES.length; k++) {
          const lane = LANES[(k + t + round) % LANES.length];
          jobsPerSecond[lane].push(await turn(queue, lane, jobs));
        }
      }
      const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
      perRound.push({
        plain: mean(jobsPerSecond.plain),
        steps1: mean(jobsPerSecond.steps1),
        steps5: mean(jobsPerSecond.steps5),
      });
      for (let n = 0; n < naps; n++) lateness.push(await queue.apply<number>('nap', {}));
      const backend = app.get(QueueBackend);
      const taskQueues = app.get(TaskQueues);
      sendMs.push(...(await timeSends(backend, taskQueues, queue, at.queue, sends, waiters)));
      process.stderr.write('.');
    } finally {
      await app.close();
      await dropPlace(at);
    }
  }
  const sorted = [...lateness].sort((a, b) => a - b);
  return {
    jobsPerTurn: jobs,
    turns,
    rounds: perRound,
    ratio1: spread(perRound.map((r) => r.steps1 / r.plain)),
    ratio5: spread(perRound.map((r) => r.steps5 / r.plain)),
    resume: {
      samples: sorted.length,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      max: sorted[sorted.length - 1],
    },
    send: { waiters, samples: sendMs.length, ms: spread(sendMs) },
  };
}

/**
 * `sends` times: one job waits for the event (matching its own user id) beside `waiters - 1`
 * other waiters in the index; the time of the `sendEvent` that wakes it.
 */
async function timeSends(
  backend: QueueBackend,
  taskQueues: TaskQueues,
  queue: TaskQueue,
  queueName: string,
  sends: number,
  waiters: number,
): Promise<number[]> {
  const others = Array.from({ length: waiters - 1 }, (_, i) => i);
  for (let from = 0; from < others.length; from += 500) {
    await Promise.all(
      others.slice(from, from + 500).map((i) => {
        const body = {
          queue: queueName,
          jobId: `other-${i}`,
          key: 'wait:1',
          match: { userId: i },
          since: 0,
        };
        return backend.addWaiter(EVENT, `${queueName}:other-${i}:wait:1`, JSON.stringify(body));
      }),
    );
  }
  const times: number[] = [];
  for (let n = 0; n < sends; n++) {
    const userId = -1 - n;
    const { id } = await queue.enqueue('confirm', { userId });
    while ((await queue.getJob(id))?.status !== 'scheduled') {
      await new Promise((done) => setTimeout(done, 5));
    }
    // Its waiter is in the index once its journal says it waits: give the add its round trip.
    while ((await backend.listWaiters(EVENT)).length < waiters) {
      await new Promise((done) => setTimeout(done, 5));
    }
    const start = performance.now();
    const woken = await taskQueues.sendEvent(EVENT, { userId });
    times.push(performance.now() - start);
    if (woken !== 1) throw new Error(`steps: sendEvent woke ${woken} jobs, not 1`);
  }
  return times;
}

export function printSteps({ jobsPerTurn, turns, ...result }: StepsResult): void {
  const range = (s: Spread, digits = 2) =>
    `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
  const rates = result.rounds
    .map((r) => `${r.plain.toFixed(0)}/${r.steps1.toFixed(0)}/${r.steps5.toFixed(0)}`)
    .join(', ');
  const { resume, send } = result;
  console.log(
    `\nDurable steps (TaskQueueModule, concurrency 10, ${turns} turns of ${jobsPerTurn} jobs per lane and round):` +
      `\n  jobs/s plain/1 step/5 steps per round: ${rates}` +
      `\n  1 step / plain: ${range(result.ratio1)}; 5 steps / plain: ${range(result.ratio5)}` +
      `\n  sleep resume past its due time (${resume.samples} sleeps of ${NAP} s): p50 ` +
      `${resume.p50.toFixed(1)} ms, p95 ${resume.p95.toFixed(1)} ms, max ${resume.max.toFixed(1)} ms` +
      `\n  sendEvent with ${send.waiters} waiters, 1 matching (${send.samples} sends): ` +
      `${range(send.ms, 1)} ms`,
  );
}
