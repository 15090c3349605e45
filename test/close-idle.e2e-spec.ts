// Closing an idle application (workers on three queues, no job running) is prompt on every
// backend: the time is measured and printed; the spec asserts only that the close completes and
// leaves nothing running, since a timing bound would measure the machine, not the library.
import { Injectable, Module } from '@nestjs/common';
import { Task, TaskQueues } from '@app/task-queue';
import { BACKEND, testBackend } from './support/backend.js';
import { QUIET, startTaskApp } from './support/task-app.js';

@Injectable()
class IdleTasks {
  @Task({ queue: 'emails' })
  async send(_ctx: unknown, payload: { to: string }) {
    return payload.to;
  }
}

@Module({ providers: [IdleTasks] })
class IdleModule {}

describe(`closing an idle application (${BACKEND})`, () => {
  const backend = testBackend('close-idle');

  it('closes, with workers on three queues and no job running', async () => {
    const timings: number[] = [];
    for (let round = 0; round < 3; round++) {
      const app = await startTaskApp({
        backend,
        imports: [IdleModule],
        options: { queues: ['default', 'emails', 'reports'] },
        logger: QUIET,
      });
      // A job ran and the workers went back to waiting for the next one.
      const queue = app.get(TaskQueues).get('emails');
      await expect(queue.apply('send', { to: 'x' }, { timeout: 20 })).resolves.toBe('x');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = performance.now();
      await app.close();
      timings.push(Math.round(performance.now() - started));
    }
    console.log(`app.close() of an idle application on ${BACKEND}: ${timings.join(', ')} ms`);
    expect(timings).toHaveLength(3);
  });
});
