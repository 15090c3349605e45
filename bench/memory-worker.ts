/**
 * A worker process of this module alone, for the memory figure: the bench process fills the
 * queue and asks this one, over IPC, for its resident set size after a forced GC.
 */
import { NestFactory } from '@nestjs/core';
import { QUEUE, TaskQueueApp } from './contenders.js';

export interface MemoryReport {
  rssMb: number;
  heapUsedMb: number;
}

const MB = 1024 * 1024;
const [prefix, concurrency] = process.argv.slice(2);
const app = await NestFactory.createApplicationContext(
  TaskQueueApp.with({ kind: 'redis', prefix, queue: QUEUE }, Number(concurrency)),
  {
    logger: false,
  },
);
await app.init();

process.on('message', (message: string) => {
  if (message === 'measure') {
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ rssMb: rss / MB, heapUsedMb: heapUsed / MB } satisfies MemoryReport);
  } else if (message === 'stop') {
    void app.close().then(() => process.exit(0));
  }
});
process.send?.('ready');
