// A backend that goes away under a running application (workers on three queues, a per-second
// schedule) and comes back: one log line when the outage starts, one with its length when it
// ends, none between; a Redis that comes back empty (restarted without persistence, or
// flushed) gets its schedules back without a restart of the application; and an application
// booted while Redis is down runs its jobs once it is up.
import { Injectable, Module, type LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  ScheduledTask,
  Task,
  TaskQueueModule,
  TaskQueues,
  type TaskQueueConnection,
} from '@app/task-queue';
import { postgresFaults, redisFaults, type FaultServer } from './fault-servers.js';
import { privateRedis, report, waitForAsync } from './support.js';

/** When each tick of the per-second schedule ran, in ms since the epoch. */
const ticks: number[] = [];
/** When each run of the runtime schedule ran. */
const runtimeRuns: number[] = [];

@Injectable()
class OutageTasks {
  @ScheduledTask({ every: 1 })
  tick() {
    ticks.push(Date.now());
  }

  @Task({ queue: 'emails' })
  async send(_ctx: unknown, payload: { to: string }) {
    if (payload.to === 'runtime') runtimeRuns.push(Date.now());
    return `sent to ${payload.to}`;
  }
}

@Module({ providers: [OutageTasks] })
class OutageModule {}

/** Every line the application logs, with its level. */
function collectingLogger() {
  const lines: { level: string; text: string; at: number }[] = [];
  const add = (level: string) => (message: unknown) =>
    lines.push({ level, text: String(message), at: Date.now() });
  const logger: LoggerService = { log: add('log'), warn: add('warn'), error: add('error') };
  return { lines, logger };
}

async function startApp(connection: TaskQueueConnection, prefix: string, logger: LoggerService) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        connection,
        prefix,
        queues: ['default', 'emails', 'reports'],
        shutdownGracePeriod: 1,
      }),
      OutageModule,
    ],
  })
    .setLogger(logger)
    .compile();
  await moduleRef.init();
  return moduleRef;
}

/** How log lines name a server: host, port and database of its URL, never a user or password. */
function where(url: string): string {
  const { hostname, port, pathname } = new URL(url);
  const database = pathname.replace(/^\//, '');
  return `${hostname}:${port}${database ? `/${database}` : ''}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ticksSince = (since: number) => ticks.filter((at) => at >= since).length;

describe.each([
  { backend: redisFaults, prefix: 'faults-outage' },
  { backend: postgresFaults, prefix: 'faults_outage' },
])('$backend.store goes away for 3 s under a running application', ({ backend, prefix }) => {
  const { store } = backend;
  let server: FaultServer;
  let app: TestingModule | undefined;
  const { lines, logger } = collectingLogger();

  beforeAll(async () => {
    server = await backend.server(false);
    const started = Date.now();
    app = await startApp(server.url, prefix, logger);
    await waitForAsync(async () => ticksSince(started) >= 2, 20_000, 'two ticks at first');
  });

  afterAll(async () => {
    try {
      await app?.close();
    } finally {
      await server?.destroy();
    }
  });

  it('logs one line when it starts and one with its length when it ends, none between', async () => {
    const before = lines.length;
    const stopped = Date.now();
    await server.stop('outage');
    await sleep(3000);
    const during = lines.slice(before);
    await server.start();
    const isEnd = (line: { text: string }) => /reachable again after/.test(line.text);
    await waitForAsync(async () => lines.some(isEnd), 30_000, `the line saying ${store} is back`);
    const ended = lines.find(isEnd)!;
    const outage = lines.slice(before).filter((line) => line.at <= ended.at);
    const starts = outage.filter((line) => /is not reachable \(/.test(line.text));
    report(`outage logs (${store})`, {
      linesDuring3s: during.length,
      linesUntilBack: outage.length,
      backAfterSeconds: (ended.at - stopped) / 1000,
    });
    expect(starts).toHaveLength(1);
    expect(starts[0].level).toBe('error');
    expect(starts[0].text).toContain(`${store} at ${where(server.url)}`);
    // The scheduler may say once that its schedules wait for the backend; nothing repeats.
    const others = outage.filter(
      (line) => line !== starts[0] && line !== ended && !line.text.startsWith('Job finished'),
    );
    expect(others.map((line) => line.text)).toEqual(
      others.length === 0 ? [] : [expect.stringMatching(/schedules/)],
    );
    expect(ended.text.startsWith(`${store} at ${where(server.url)} reachable again after `)).toBe(
      true,
    );
    expect(ended.text).toMatch(/after \d+\.\d s\.$/);
  });

  it('runs the per-second schedule and the jobs again once it is back', async () => {
    const back = Date.now();
    await waitForAsync(async () => ticksSince(back) >= 2, 30_000, 'two ticks after the outage');
    const queue = app!.get(TaskQueues).get('emails');
    await expect(queue.apply('send', { to: 'a@b.c' }, { timeout: 20 })).resolves.toBe(
      'sent to a@b.c',
    );
  });
});

describe('Redis restarted empty, or flushed, under a running application', () => {
  let redis: Awaited<ReturnType<typeof privateRedis>>;
  let app: TestingModule | undefined;
  const { lines, logger } = collectingLogger();

  beforeAll(async () => {
    // No persistence (the launcher's default): a restart comes back empty.
    redis = await privateRedis();
    const started = Date.now();
    app = await startApp(redis.url, 'faults-lost', logger);
    await waitForAsync(async () => ticksSince(started) >= 2, 20_000, 'two ticks at first');
    const emails = app.get(TaskQueues).get('emails');
    await emails.schedule('send', { every: 1, payload: { to: 'runtime' }, id: 'digest' });
    // The module puts back the runtime schedules it has seen: one look (every 15 s) later.
    await sleep(16_000);
  }, 60_000);

  afterAll(async () => {
    try {
      await app?.close();
    } finally {
      await redis?.destroy();
    }
  });

  it('puts the schedule back after a restart that lost it: it ticks again', async () => {
    await redis.stop('SIGKILL');
    await redis.start();
    const back = Date.now();
    await waitForAsync(async () => ticksSince(back) >= 2, 30_000, 'two ticks after the restart');
    expect(lines.some((line) => /lost the queues' data/.test(line.text))).toBe(true);
    // The runtime schedule is back under its id, and runs again.
    await waitForAsync(
      async () => runtimeRuns.filter((at) => at >= back).length >= 2,
      30_000,
      'two runs of the runtime schedule after the restart',
    );
    const schedules = await app!.get(TaskQueues).get('emails').schedules();
    expect(schedules.map(({ id, source }) => ({ id, source }))).toEqual([
      { id: 'task-queue-runtime:digest', source: 'runtime' },
    ]);
    report('schedules after an empty restart', { ticksWithin: (Date.now() - back) / 1000 });
  });

  it('puts the schedule back after FLUSHALL (no outage), within the periodic check', async () => {
    await redis.cli('FLUSHALL');
    const flushed = Date.now();
    // The check runs every 15 s: the schedule is back within that, and ticks again.
    await waitForAsync(async () => ticksSince(flushed + 1500) >= 2, 40_000, 'two ticks after it');
    report('schedules after FLUSHALL', { ticksWithin: (Date.now() - flushed) / 1000 });
  });
});

describe.each([
  { backend: redisFaults, prefix: 'faults-late' },
  { backend: postgresFaults, prefix: 'faults_late' },
])('an application booted while $backend.store is down', ({ backend, prefix }) => {
  it('runs jobs once the backend starts (its workers wait for it)', async () => {
    const server = await backend.server(false);
    let app: TestingModule | undefined;
    try {
      await server.stop('outage');
      app = await startApp(server.url, prefix, collectingLogger().logger);
      await sleep(2000);
      await server.start();
      const queue = app.get(TaskQueues).get('emails');
      await expect(queue.apply('send', { to: 'late' }, { timeout: 30 })).resolves.toBe(
        'sent to late',
      );
    } finally {
      await app?.close();
      await server.destroy();
    }
  });
});
