import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { WorkerSettings } from '@app/task-queue';
import { QUEUES, readAppConfig } from './app.config.js';
import { TasksOnlyModule } from './app.module.js';
import { closeOnSignals } from './shutdown.js';

const USAGE = `Usage: npm run worker -- [--queues a,b] [--concurrency N]
  Runs task workers only (no HTTP server).
  --queues       queues to work on, comma-separated (default: all: ${QUEUES.join(', ')})
  --concurrency  jobs run at once per queue in this process (default: each queue's own)`;

/** The worker options from the command line; throws a usage message when they are wrong. */
function parseWorkerArgs(args: string[]): WorkerSettings {
  const { values } = parseArgs({
    args,
    options: { queues: { type: 'string' }, concurrency: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const settings: WorkerSettings = {};
  if (values.queues !== undefined) {
    settings.queues = values.queues.split(',').map((queue) => queue.trim());
    if (settings.queues.some((queue) => queue === '')) {
      throw new Error(`--queues needs queue names separated by commas, not '${values.queues}'`);
    }
  }
  if (values.concurrency !== undefined) {
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(`--concurrency must be a positive whole number, not '${values.concurrency}'`);
    }
    settings.concurrency = concurrency;
  }
  return settings;
}

async function bootstrap() {
  let settings: WorkerSettings;
  try {
    settings = parseWorkerArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(1);
  }
  const config = readAppConfig();
  // The library checks the queue names against its configuration and says what is wrong.
  const app = await NestFactory.createApplicationContext(TasksOnlyModule.forRoot(settings), {
    abortOnError: false,
  });
  const logger = new Logger('Worker');
  closeOnSignals(app, logger);
  await app.init();
  const queues = (settings.queues ?? QUEUES).join(', ');
  const concurrency = settings.concurrency ? `, concurrency ${settings.concurrency}` : '';
  logger.log(`Worker ready: queues ${queues}${concurrency} (key prefix '${config.prefix}')`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
