// Helpers of the fault-injection suite: private redis-servers on free loopback ports (never the
// shared one, started by the one launcher), worker processes built with tsc, and the per-scenario
// report.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { TaskQueueModule, type TaskQueue } from '@app/task-queue';
import { startRedisServer, type RedisServer } from '../../scripts/redis-launcher.js';
import { doneKey, FaultTasksModule, startsKey } from '../fixtures/faults.tasks.js';
import { REPO } from '../support/built-app.js';
import { exitOf, freePort, waitFor } from '../support/processes.js';

const run = promisify(execFile);

/** Where each scenario appends its figures, one JSON object a line. */
export const REPORT_FILE = join(REPO, 'test-output', 'faults-report.jsonl');

/** Figures of one scenario, printed and appended to {@link REPORT_FILE}. */
export function report(scenario: string, figures: Record<string, number | string | boolean>) {
  const line = { scenario, at: new Date().toISOString(), ...figures };
  mkdirSync(join(REPO, 'test-output'), { recursive: true });
  appendFileSync(REPORT_FILE, `${JSON.stringify(line)}\n`);
  console.log(`[faults] ${scenario}: ${JSON.stringify(figures)}`);
}

/** A redis-server of one scenario's own: 127.0.0.1, a free port, files in a temporary folder. */
export interface PrivateRedis {
  port: number;
  url: string;
  dir: string;
  /** Starts it (again, on the same port and folder) and waits until it answers PING. */
  start(): Promise<void>;
  /** Sends `signal` and waits until the process has exited and the port is free. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Runs redis-cli against it and returns its output. */
  cli(...args: string[]): Promise<string>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

export async function privateRedis(args: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'faults-redis-'));
  let running: RedisServer | undefined;
  const server: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    cli: async (...cliArgs) =>
      (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...cliArgs])).stdout.trim(),
    async start() {
      running = await startRedisServer({ port, dir, args });
    },
    async stop(signal = 'SIGTERM') {
      await running?.stop(signal);
      running = undefined;
    },
    async destroy() {
      await server.stop('SIGKILL').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** Three masters on loopback ports, joined into one Redis Cluster, its slots all served. */
export async function privateCluster(): Promise<PrivateRedis[]> {
  const nodes: PrivateRedis[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await privateRedis([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--appendonly',
          'no',
        ]),
      );
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const node of nodes) {
      await waitForAsync(
        async () => (await node.cli('CLUSTER', 'INFO')).includes('cluster_state:ok'),
        20_000,
        `cluster_state:ok on port ${node.port}`,
      );
    }
    return nodes;
  } catch (error) {
    await Promise.all(nodes.map((node) => node.destroy()));
    throw error;
  }
}

/** A worker process of the suite, running test/fixtures/faults-worker.main.ts as built. */
export interface FaultWorker {
  child: ChildProcess;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startFaultWorker(env: Record<string, string>): Promise<FaultWorker> {
  const child = spawn(process.execPath, ['dist/test/fixtures/faults-worker.main.js'], {
    cwd: REPO,
    // The queues' URL comes from `env` only: one inherited from the shell would move them.
    env: { ...process.env, TASK_QUEUE_URL: undefined, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const worker: FaultWorker = {
    child,
    output: () => output,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exitOf(child, 30_000);
    },
  };
  try {
    // How long a Nest process takes to boot is not under test; on a busy machine it can be long.
    await waitFor(() => output.includes('worker ready'), 60_000, 'worker ready');
  } catch (error) {
    await worker.kill('SIGKILL');
    throw new Error(`${(error as Error).message}; the worker's output:\n${output}`, {
      cause: error,
    });
  }
  return worker;
}

/** Polls an async `check` until it resolves truthy; fails after `timeoutMs`. */
export async function waitForAsync(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms: ${typeof what === 'string' ? what : what()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `count` job durations between 20 and 200 ms, the same every run. */
export function durations(count: number): number[] {
  let seed = 42;
  return Array.from({ length: count }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return 20 + (seed % 181);
  });
}

/** An enqueue-only application of the FaultTasks, its queues at `url` (any backend). */
export async function enqueueApp(url: string, prefix: string): Promise<TestingModule> {
  @Module({
    imports: [
      TaskQueueModule.forRoot({ connection: url, prefix, worker: false }),
      FaultTasksModule,
    ],
  })
  class EnqueueModule {}
  const app = await Test.createTestingModule({ imports: [EnqueueModule] })
    .setLogger({ log() {}, error() {}, warn() {} })
    .compile();
  await app.init();
  return app;
}

/** Enqueues `count` sleep jobs of 20 to 200 ms, and waits until the workers have done `part`. */
export async function enqueueSleeps(
  queue: TaskQueue,
  reader: Redis,
  prefix: string,
  count: number,
  part: number,
): Promise<string[]> {
  const jobs = await queue.enqueueMany(
    durations(count).map((ms) => ({ name: 'sleep', payload: { ms } })),
  );
  await waitForAsync(
    async () => (await reader.scard(doneKey(prefix))) >= count * part,
    60_000,
    `${count * part} of ${count} jobs done`,
  );
  return jobs.map((job) => job.id);
}

/** Waits until every job has finished, then counts what happened to them. */
export async function tally(
  queue: TaskQueue,
  reader: Redis,
  prefix: string,
  ids: string[],
  timeoutMs: number,
) {
  await waitForAsync(
    async () => {
      const stats = await queue.stats().catch(() => undefined);
      return !!stats && stats.counts.complete + stats.counts.failed >= ids.length;
    },
    timeoutMs,
    `all ${ids.length} jobs finished`,
  );
  const { counts } = await queue.stats();
  const done = new Set(await reader.smembers(doneKey(prefix)));
  const starts = Object.values(await reader.hgetall(startsKey(prefix))).map(Number);
  return {
    enqueued: ids.length,
    completed: counts.complete,
    failed: counts.failed,
    lost: ids.filter((id) => !done.has(id)).length,
    runTwice: starts.filter((count) => count > 1).length,
    mostRuns: Math.max(...starts),
  };
}

/** Seconds since `start`, to a tenth. */
export const secondsSince = (start: number) => Math.round((Date.now() - start) / 100) / 10;
