import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { BackendUnavailableError, RedisUnavailableError, Task, TaskQueues } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { AppModule } from '../src/app.module.js';
import type { RedisBackend } from '../libs/task-queue/src/backends/redis/redis.backend.js';
import type { TestBackend } from './support/backend.js';
import { freePort } from './support/processes.js';
import { QUIET, startTaskApp } from './support/task-app.js';

@Injectable()
class PingTasks {
  @Task()
  async ping() {
    return 'pong';
  }
}

@Module({ providers: [PingTasks] })
class PingModule {}

/** A Redis URL where nothing listens: nothing to remove afterwards. */
async function deadRedis(): Promise<TestBackend> {
  const connection = `redis://127.0.0.1:${await freePort()}`;
  return {
    kind: 'redis',
    connection,
    prefix: 'bull',
    env: { TASK_QUEUE_URL: connection },
    cleanup: async () => {},
  };
}

/** An application started against a port where nothing listens, its logs silenced. */
async function appOnDeadPort(options: { worker: boolean }): Promise<TestingModule> {
  return startTaskApp({
    backend: await deadRedis(),
    imports: [PingModule],
    options,
    logger: QUIET,
  });
}

describe('when Redis is unreachable', () => {
  it('boots, fails enqueue fast with a clear error, and shuts down without hanging', async () => {
    const app = await appOnDeadPort({ worker: true });

    const started = Date.now();
    const error = await app
      .get(TaskQueues)
      .get('default')
      .enqueue('ping')
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toMatch(
      /^Queue 'default': Redis is not reachable \(connection \w+ after \d+ ms\); nothing was enqueued or read\. Check that Redis is running/,
    );
    expect(elapsed).toBeLessThan(5000);

    // Reads fail the same way: the example answers them 503, not 500.
    const queue = app.get(TaskQueues).get('default');
    for (const read of [queue.getJob('1'), queue.stats(), queue.schedules()]) {
      const readError = await read.catch((e: unknown) => e);
      expect(readError).toBeInstanceOf(BackendUnavailableError);
      expect(readError).toBeInstanceOf(RedisUnavailableError);
      expect((readError as Error).message).toMatch(/^Queue 'default': Redis is not reachable/);
    }

    await app.close();
  });

  it('has the example app answer a job read 503 with the outage message, not 500', async () => {
    const app = await startTaskApp({
      backend: await deadRedis(),
      imports: [AppModule],
      options: 'from-env',
      logger: QUIET,
      listen: '127.0.0.1',
    });
    const response = await fetch(`${await app.getUrl()}/jobs/default/1`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { statusCode: number; error: string; message: string };
    expect(body).toMatchObject({ statusCode: 503, error: 'RedisUnavailableError' });
    expect(body.message).toMatch(/^Queue 'default': Redis is not reachable/);
    await app.close();
  });

  it('lets a burst of enqueues share one wait for the connection, each failing clearly', async () => {
    const app = await appOnDeadPort({ worker: false });
    const taskQueues = app.get(TaskQueues);
    const client = app.get<QueueBackend, RedisBackend>(QueueBackend).producer;
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      // The module's wait listens as `onReady` (redis.connection.ts); ioredis adds listeners of
      // its own for each connect, more of them under load, so only ours are counted.
      const ours = () => client.listeners('ready').filter(({ name }) => name === 'onReady').length;
      const burst = Array.from({ length: 30 }, () =>
        taskQueues
          .get('default')
          .enqueue('ping')
          .catch((e: unknown) => e),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      // One shared wait, not one per enqueue (thirty).
      expect(ours()).toBe(1);
      const errors = await Promise.all(burst);
      for (const error of errors) expect(error).toBeInstanceOf(RedisUnavailableError);
      // Ours is gone once the wait ended (ioredis keeps its own until it connects).
      expect(ours()).toBe(0);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await app.close();
    }
  });
});
