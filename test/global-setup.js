// Runs once before the end-to-end tests: checks that Redis answers, and builds the code that
// tests run in child processes with tsc (through `nest build`, which also rewrites the
// `@app/task-queue` alias), so decorator metadata is emitted as in production: the test
// fixtures into dist-test/, and the example app (main, worker, tasks CLI) into dist/. Built
// once here, not per spec file: specs run in parallel and a build empties its folder first.
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';

export default async function globalSetup() {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `The end-to-end tests need a Redis server at ${url} (${error.message}). ` +
        'Start one (redis-server --port 6379) or set REDIS_URL.',
      { cause: error },
    );
  } finally {
    redis.disconnect();
  }
  execFileSync('npx', ['nest', 'build', '--path', 'test/tsconfig.fixtures.json'], {
    stdio: 'inherit',
  });
  execFileSync('npx', ['nest', 'build'], { stdio: 'inherit' });
}
