// The module's prom-client metrics and the JSON finished-job line, in this process: runs counted
// by outcome, applications sharing a registry (and prom-client's default one), one closed while
// the other goes on, executions that suspended their job (sleeping, waiting). On Redis only: the
// counts come from each run's outcome, whatever the backend; the gauges a backend answers are
// read on each backend by observability.e2e-spec.ts. A backend outage: health-metrics.e2e-spec.ts.
import { describe, expect, it } from '@jest/globals';
import { ConsoleLogger, Injectable, Module, type LogLevel } from '@nestjs/common';
import { register, Registry } from 'prom-client';
import {
  Task,
  TaskQueueMetrics,
  TaskQueues,
  type TaskContext,
  type TaskQueueModuleOptions,
} from '@app/task-queue';
import { testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { QUIET, startTaskApp } from './support/task-app.js';

@Injectable()
class MetricTasks {
  @Task('tick')
  async tick(_ctx: TaskContext, { n }: { n: number }): Promise<number> {
    return n;
  }

  @Task('nap')
  async nap(ctx: TaskContext): Promise<void> {
    await ctx.sleep(0.2);
  }

  @Task('confirm')
  async confirm(ctx: TaskContext, { userId }: { userId: number }): Promise<unknown> {
    return ctx.waitForEvent('email.confirmed', { match: { userId }, timeout: 60 });
  }

  @Task({ name: 'boom', retries: 1, retryDelay: 0 })
  async boom(): Promise<never> {
    throw new Error('boom: the payload has no address');
  }
}

@Module({ providers: [MetricTasks] })
class MetricTasksModule {}

/** An application of its own namespace with `MetricTasks` on `queue`. */
function start(label: string, queue: string, options: Omit<TaskQueueModuleOptions, 'connection'>) {
  return startTaskApp({
    backend: testBackend(label),
    imports: [MetricTasksModule],
    options: { queues: [queue], defaultQueue: queue, ...options },
    logger: QUIET,
  });
}

/** The samples of a Prometheus text, by `name{labels}`. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sample = /^([a-z_]+(?:\{.*\})?) (\S+)$/.exec(line);
    if (sample) found.set(sample[1], Number(sample[2]));
  }
  return found;
}

const count = (queue: string, task: string, outcome: string) =>
  `task_queue_job_duration_seconds_count{queue="${queue}",task="${task}",outcome="${outcome}"}`;

/** Waits until the registry's text has `expected` for each sample named. */
function samplesReaching(read: () => Promise<string>, expected: Record<string, number>) {
  return eventually(
    async () => {
      const found = samples(await read());
      return Object.entries(expected).every(([name, value]) => found.get(name) === value)
        ? found
        : undefined;
    },
    20_000,
    JSON.stringify(expected),
  );
}

describe('prom-client metrics', () => {
  it('two applications share a registry: both count, and one closing leaves the other', async () => {
    const registry = new Registry();
    const first = await start('metrics-first', 'first', { metrics: { registry } });
    const second = await start('metrics-second', 'second', { metrics: { registry } });
    const firstQueue = first.get(TaskQueues).get('first');
    for (let n = 0; n < 4; n++) await firstQueue.enqueue('tick', { n });
    await second.get(TaskQueues).get('second').enqueue('tick', { n: 1 });
    await firstQueue.enqueue('boom', {});

    const metrics = first.get(TaskQueueMetrics);
    const found = await samplesReaching(() => metrics.prometheus(), {
      [count('first', 'tick', 'completed')]: 4,
      [count('second', 'tick', 'completed')]: 1,
      [count('first', 'boom', 'retrying')]: 1,
      [count('first', 'boom', 'failed')]: 1,
    });
    expect(found.has(count('first', 'tick', 'failed'))).toBe(false);
    // The gauges, read from the backend at the scrape, for both applications' queues.
    expect(found.get('task_queue_jobs{queue="first",status="failed"}')).toBe(1);
    expect(found.get('task_queue_jobs{queue="first",status="queued"}')).toBe(0);
    expect(found.get('task_queue_workers{queue="first"}')).toBe(1);
    expect(found.get('task_queue_workers{queue="second"}')).toBe(1);
    // The registry's own text is the same metrics.
    expect(samples(await registry.metrics()).get(count('first', 'tick', 'completed'))).toBe(4);

    await first.close();
    const queue = second.get(TaskQueues).get('second');
    await queue.enqueue('tick', { n: 2 });
    const after = await samplesReaching(() => second.get(TaskQueueMetrics).prometheus(), {
      [count('second', 'tick', 'completed')]: 2,
      // The closed application's runs stay counted; its queues leave the gauges.
      [count('first', 'tick', 'completed')]: 4,
    });
    expect(after.get('task_queue_workers{queue="second"}')).toBe(1);
    expect(after.has('task_queue_workers{queue="first"}')).toBe(false);
  }, 60_000);

  it("two applications on prom-client's default register: no 'already registered' error", async () => {
    const first = await start('metrics-default-a', 'alpha', {});
    const second = await start('metrics-default-b', 'beta', {});
    await first.get(TaskQueues).get('alpha').enqueue('tick', { n: 1 });
    await second.get(TaskQueues).get('beta').enqueue('tick', { n: 1 });
    const found = await samplesReaching(() => register.metrics(), {
      [count('alpha', 'tick', 'completed')]: 1,
      [count('beta', 'tick', 'completed')]: 1,
      'task_queue_workers{queue="alpha"}': 1,
      'task_queue_workers{queue="beta"}': 1,
    });
    expect(found.size).toBeGreaterThan(0);
    expect(await second.get(TaskQueueMetrics).prometheus()).toBe(await register.metrics());
  }, 60_000);

  it('counts the executions that suspended their job apart: sleeping, waiting', async () => {
    const registry = new Registry();
    const app = await start('metrics-suspended', 'durable', { metrics: { registry } });
    const queue = app.get(TaskQueues).get('durable');
    await queue.enqueue('nap', {});
    const waiting = await queue.enqueue('confirm', { userId: 3 });
    const read = () => registry.metrics();
    await samplesReaching(read, {
      [count('durable', 'nap', 'sleeping')]: 1,
      [count('durable', 'nap', 'completed')]: 1,
      [count('durable', 'confirm', 'waiting')]: 1,
    });
    expect(await app.get(TaskQueues).sendEvent('email.confirmed', { userId: 3 })).toBe(1);
    const found = await samplesReaching(read, {
      [count('durable', 'confirm', 'waiting')]: 1,
      [count('durable', 'confirm', 'completed')]: 1,
    });
    expect((await queue.getJob(waiting.id))?.result).toEqual({ userId: 3 });
    // A suspension is neither a failure nor a retry.
    for (const task of ['nap', 'confirm']) {
      for (const outcome of ['failed', 'retrying']) {
        expect(found.has(count('durable', task, outcome))).toBe(false);
      }
    }
  }, 60_000);

  it('metrics: false records nothing and prometheus() says why', async () => {
    const app = await start('metrics-off', 'silent', { metrics: false });
    await app.get(TaskQueues).get('silent').apply('tick', { n: 1 });
    await expect(app.get(TaskQueueMetrics).prometheus()).rejects.toThrow(/metrics: false/);
    expect((await register.metrics()).includes('queue="silent"')).toBe(false);
  }, 60_000);
});

/** Nest's JSON console logger, keeping the lines it would write (as it writes them). */
class JsonLines extends ConsoleLogger {
  readonly lines: string[] = [];

  constructor() {
    super({ json: true });
  }

  protected override printAsJson(
    message: unknown,
    options: { context: string; logLevel: LogLevel; errorStack?: unknown },
  ): void {
    this.lines.push(this.stringifyJsonLogObject(this.getJsonLogObject(message, options)));
  }
}

describe("jobLog: 'json'", () => {
  it('writes one JSON line per finished run, with its fields', async () => {
    const logger = new JsonLines();
    const app = await startTaskApp({
      backend: testBackend('metrics-json-log'),
      imports: [MetricTasksModule],
      options: { jobLog: 'json', metrics: { registry: new Registry() } },
      logger,
    });
    const queue = app.get(TaskQueues).get('default');
    const done = await queue.enqueue('tick', { n: 7 });
    const failing = await queue.enqueue('boom', {});
    // Nest's loggers write through the last application's logger, so a line of another
    // application of this file still finishing a run can land here: only this queue's count.
    const finished = () =>
      logger.lines
        .map((line) => JSON.parse(line) as { context?: string; level: string; message: unknown })
        .filter(
          ({ context, message }) => context === 'TaskWorker' && queueOf(message) === 'default',
        );
    const records = await eventually(
      async () => (finished().length === 3 ? finished() : undefined),
      20_000,
      'three finished-job lines',
    );
    expect(logger.lines.every((line) => !line.includes('\n'))).toBe(true);
    const completed = records.find(({ level }) => level === 'log');
    expect(completed?.message).toEqual({
      event: 'job_finished',
      queue: 'default',
      task: 'tick',
      jobId: done.id,
      attempt: 1,
      outcome: 'completed',
      durationSeconds: expect.any(Number),
    });
    const error = 'boom: the payload has no address';
    expect(
      records.filter(({ level }) => level !== 'log').map(({ level, message }) => [level, message]),
    ).toEqual([
      [
        'warn',
        expect.objectContaining({ jobId: failing.id, attempt: 1, outcome: 'retrying', error }),
      ],
      [
        'error',
        expect.objectContaining({ jobId: failing.id, attempt: 2, outcome: 'failed', error }),
      ],
    ]);
  }, 60_000);
});

/** The `queue` field of a JSON log record's message, if it has one. */
function queueOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null && 'queue' in message
    ? message.queue
    : undefined;
}
