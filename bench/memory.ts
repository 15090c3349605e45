import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JOB_NAME, JOB_OPTIONS, pending, QUEUE } from './contenders.js';
import type { MemoryReport } from './memory-worker.js';
import { bounded } from './probe.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../test/support/redis.js';

export interface MemoryResult {
  concurrency: number;
  checkpoints: ({ processed: number } & MemoryReport)[];
  /** RSS growth from the first checkpoint to the last, in MB. */
  growthMb: number;
}

const CHUNK = 5000;

/** The worker's boot is not measured: on a loaded machine, importing and starting Nest is slow. */
const START_TIMEOUT_MS = 120_000;
const ANSWER_TIMEOUT_MS = 30_000;

function reply(child: ChildProcess, ask: string): Promise<unknown> {
  return bounded(
    new Promise((resolve) => {
      child.once('message', resolve);
      if (ask) child.send(ask);
    }),
    ask ? ANSWER_TIMEOUT_MS : START_TIMEOUT_MS,
    `the memory worker's answer to '${ask || 'start'}'`,
  );
}

/**
 * Runs this module's worker in a child process and reads its RSS after `checkpoints` jobs
 * (e.g. 10k and 100k); the queue is fed in chunks so Redis never holds more than one.
 */
export async function measureMemory(
  prefix: string,
  checkpoints: readonly number[],
  concurrency = 10,
): Promise<MemoryResult> {
  const script = fileURLToPath(new URL('./memory-worker.js', import.meta.url));
  const child = fork(script, [prefix, String(concurrency)], { execArgv: ['--expose-gc'] });
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE, { connection, prefix });
  const result: MemoryResult = { concurrency, checkpoints: [], growthMb: 0 };
  try {
    await reply(child, '');
    let produced = 0;
    for (const checkpoint of checkpoints) {
      while (produced < checkpoint) {
        const size = Math.min(CHUNK, checkpoint - produced);
        await queue.addBulk(
          Array.from({ length: size }, (_, k) => ({
            name: JOB_NAME,
            data: { i: produced + k },
            opts: JOB_OPTIONS,
          })),
        );
        produced += size;
        const deadline = Date.now() + 60_000;
        while ((await pending(queue)) > 0) {
          if (Date.now() > deadline) throw new Error('Memory worker did not drain its queue');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      const report = (await reply(child, 'measure')) as MemoryReport;
      result.checkpoints.push({ processed: checkpoint, ...report });
    }
    const { checkpoints: points } = result;
    result.growthMb = points[points.length - 1].rssMb - points[0].rssMb;
    return result;
  } finally {
    await queue.close();
    await connection.quit();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('stop');
    await bounded(exited, 15_000, 'the memory worker to exit').catch(() => child.kill('SIGKILL'));
  }
}
