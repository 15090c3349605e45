// `failFast`: the bootstrap waits that long for the backend, then fails naming it (without its
// password); without it, or with a backend that answers, the application boots as before.
import { Test } from '@nestjs/testing';
import {
  BackendUnavailableError,
  RedisUnavailableError,
  TaskQueueConfigError,
  TaskQueueModule,
  TaskQueues,
  type TaskQueueModuleOptions,
} from '@app/task-queue';
import { EchoModule } from './fixtures/echo.tasks.js';
import { BACKEND, testBackend } from './support/backend.js';
import { freePort } from './support/processes.js';
import { QUIET, startTaskApp } from './support/task-app.js';

/** Boots an application with `options`; resolves how the bootstrap ended and how long it took. */
async function boot(options: TaskQueueModuleOptions) {
  const moduleRef = await Test.createTestingModule({
    imports: [TaskQueueModule.forRoot(options), EchoModule],
  })
    .setLogger(QUIET)
    .compile();
  const started = Date.now();
  const error = await moduleRef.init().then(
    () => undefined,
    (e: unknown) => e,
  );
  const seconds = (Date.now() - started) / 1000;
  await moduleRef.close();
  return { error, seconds };
}

describe(`failFast (${BACKEND})`, () => {
  const backend = testBackend('fail-fast');

  it('is checked: a positive number of seconds', async () => {
    for (const failFast of [0, -1, Number.NaN, '5' as unknown as number]) {
      const error = await Test.createTestingModule({
        imports: [TaskQueueModule.forRoot({ connection: 'pglite:memory', failFast })],
      })
        .compile()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(TaskQueueConfigError);
      expect((error as Error).message).toMatch(
        /option 'failFast' is .*; expected a positive number of seconds/,
      );
    }
  });

  it('boots as usual when the backend answers in time, and its workers run', async () => {
    const app = await startTaskApp({
      backend,
      imports: [EchoModule],
      options: { failFast: 10 },
      logger: QUIET,
    });
    const queue = app.get(TaskQueues).get('default');
    await expect(queue.apply('echo', { word: 'up' }, { timeout: 20 })).resolves.toMatchObject({
      payload: { word: 'up' },
    });
  });

  // A backend that cannot be reached: a loopback port nothing listens on. PGlite, in this
  // process, cannot be out of reach.
  const unreachable = {
    redis: (port: number, password: string) => `redis://:${password}@127.0.0.1:${port}`,
    postgres: (port: number, password: string) =>
      `postgres://postgres:${password}@127.0.0.1:${port}/test`,
    pglite: undefined,
  }[BACKEND];

  // Declared only where the backend can be out of reach, so that nothing counts as skipped.
  if (unreachable) {
    it('fails the bootstrap after that many seconds, naming where the backend is, never its password', async () => {
      const port = await freePort();
      const connection = unreachable(port, 's3cret');
      const { error, seconds } = await boot({ connection, failFast: 1.5 });
      expect(error).toBeInstanceOf(
        BACKEND === 'redis' ? RedisUnavailableError : BackendUnavailableError,
      );
      const { message } = error as Error;
      expect(message).toContain(`at 127.0.0.1:${port}`);
      expect(message).not.toContain('s3cret');
      expect(message).toMatch(/did not answer within 1\.5 s of bootstrap \(failFast\)/);
      expect(message).toMatch(/ECONNREFUSED/);
      expect(message).toMatch(/Check that it is running/);
      // It waited for the backend (a refusal is tried again), and not much longer.
      expect(seconds).toBeGreaterThanOrEqual(1.4);
      expect(seconds).toBeLessThan(10);
    });

    it('without failFast, boots while the backend is unreachable (enqueues fail meanwhile)', async () => {
      const port = await freePort();
      const { error } = await boot({ connection: unreachable(port, 's3cret') });
      expect(error).toBeUndefined();
    });
  }
});
