import { createServer } from 'node:net';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { RedisUnavailableError, Task, TaskQueueModule, TaskQueues } from '@app/task-queue';

@Injectable()
class PingTasks {
  @Task()
  async ping() {
    return 'pong';
  }
}

@Module({ providers: [PingTasks] })
class PingModule {}

/** A loopback port where nothing listens. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('when Redis is unreachable', () => {
  it('boots, fails enqueue fast with a clear error, and shuts down without hanging', async () => {
    const connection = `redis://127.0.0.1:${await deadPort()}`;
    const app = await Test.createTestingModule({
      imports: [TaskQueueModule.forRoot({ connection, worker: true }), PingModule],
    })
      .setLogger({ log() {}, error() {}, warn() {} })
      .compile();
    await app.init();

    const started = Date.now();
    const error = await app
      .get(TaskQueues)
      .get('default')
      .enqueue('ping')
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toMatch(
      /Cannot enqueue on queue 'default': Redis is not reachable/,
    );
    expect(elapsed).toBeLessThan(5000);

    await app.close();
  });
});
