// The line each finished run writes through Nest's Logger: fields, outcomes, payload opt-in.
import { Injectable, Module, type LoggerService } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Task, TaskQueues, type TaskContext } from '@app/task-queue';
import { eventually } from './support/redis.js';
import { testBackend } from './support/backend.js';
import { startTaskApp } from './support/task-app.js';

@Injectable()
class LoggedTasks {
  @Task()
  async greet(_ctx: TaskContext, payload: { secret: string }) {
    return `hello ${payload.secret.length}`;
  }

  @Task()
  async nap(ctx: TaskContext) {
    await ctx.sleep(0.2);
    return 'rested';
  }

  @Task({ retries: 1, retryDelay: 0.05 })
  async flaky(_ctx: TaskContext, _payload: { secret: string }) {
    throw new Error('no luck');
  }
}

@Module({ providers: [LoggedTasks] })
class LoggedModule {}

describe('the finished-job log line', () => {
  const backend = testBackend('job-log');
  const lines: { level: string; message: string }[] = [];
  /** Closed after each test, so that the next test's jobs run only on its own application. */
  const open: TestingModule[] = [];
  const logger: LoggerService = {
    log: (message: string) => lines.push({ level: 'log', message }),
    warn: (message: string) => lines.push({ level: 'warn', message }),
    error: (message: string) => lines.push({ level: 'error', message }),
  };

  async function start(logPayloads?: boolean) {
    const app = await startTaskApp({
      backend,
      imports: [LoggedModule],
      options: { logPayloads },
      logger,
    });
    open.push(app);
    return app.get(TaskQueues).get('default');
  }

  const linesOf = (id: string) =>
    lines
      .filter(({ message }) => message.includes(` job=${id} `))
      .map(({ level, message }) => `${level} ${message}`);

  it('names task, queue, job, attempt, duration and outcome; no payload by default', async () => {
    const queue = await start();
    const ok = await queue.enqueue('greet', { secret: 'hunter2' });
    const bad = await queue.enqueue('flaky', { secret: 'hunter2' });
    await eventually(() =>
      linesOf(ok.id).length === 1 && linesOf(bad.id).length === 2 ? true : undefined,
    );

    expect(linesOf(ok.id)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^log Job finished: task=greet queue=default job=${ok.id} attempt=1 duration_ms=\\d+ outcome=completed$`,
        ),
      ),
    ]);
    // By attempt: each line is written once the backend has recorded its run's end, and the
    // retry can be taken by another slot and end before the first run's answer is read.
    const attemptOf = (line: string) => Number(/ attempt=(\d+) /.exec(line)?.[1]);
    expect(linesOf(bad.id).sort((a, b) => attemptOf(a) - attemptOf(b))).toEqual([
      expect.stringMatching(/^warn .* attempt=1 duration_ms=\d+ outcome=retrying error="no luck"$/),
      expect.stringMatching(/^error .* attempt=2 duration_ms=\d+ outcome=failed error="no luck"$/),
    ]);
    expect(lines.some(({ message }) => message.includes('hunter2'))).toBe(false);
    await Promise.all(open.splice(0).map((app) => app.close()));
  });

  it('says when a suspended job runs again, with no error, and then that it completed', async () => {
    const queue = await start();
    const job = await queue.enqueue('nap');
    await eventually(() => (linesOf(job.id).length === 2 ? true : undefined));
    const [slept, done] = linesOf(job.id);
    const until = /^log .* attempt=1 duration_ms=\d+ outcome=sleeping until=(\S+)$/.exec(slept);
    expect(until).not.toBeNull();
    expect(Number.isNaN(Date.parse(until![1]))).toBe(false);
    expect(done).toMatch(/^log .* attempt=1 duration_ms=\d+ outcome=completed$/);
    await Promise.all(open.splice(0).map((app) => app.close()));
  });

  it('adds the payload with logPayloads: true', async () => {
    const queue = await start(true);
    const job = await queue.enqueue('greet', { secret: 'shown' });
    await eventually(() => (linesOf(job.id).length === 1 ? true : undefined));
    expect(linesOf(job.id)[0]).toMatch(/outcome=completed payload="\{\\"secret\\":\\"shown\\"\}"$/);
  });
});
