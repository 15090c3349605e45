import './tracing.js';
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { WorkerSettings } from '@app/task-queue';
import { describeQueueUrl, QUEUES, readAppConfig } from './app.config.js';
import { TasksOnlyModule } from './app.module.js';
import { serveOps } from './ops/ops-server.js';
import { closeOnSignals } from './shutdown.js';

const USAGE = `Usage: npm run worker -- [--queues a,b] [--concurrency N] [--metrics-port P]
  Runs task workers only (no HTTP API).
  --queues        queues to work on, comma-separated (default: all: ${QUEUES.join(', ')})
  --concurrency   jobs run at once per queue in this process (default: each queue's own)
  --metrics-port  serve GET /metrics and /health on 127.0.0.1:P (0: any free port)`;

/** The worker options from the command line; throws a usage message when they are wrong. */
function parseWorkerArgs(args: string[]): { settings: WorkerSettings; metricsPort?: number } {
  const { values } = parseArgs({
    args,
    options: {
      queues: { type: 'string' },
      concurrency: { type: 'string' },
      'metrics-port': { type: 'string' },
    },
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
  const port = values['metrics-port'];
  const metricsPort = port === undefined ? undefined : Number(port);
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0)) {
    throw new Error(`--metrics-port must be a port number, not '${port}'`);
  }
  return { settings, metricsPort };
}

async function bootstrap() {
  let settings: WorkerSettings;
  let metricsPort: number | undefined;
  try {
    ({ settings, metricsPort } = parseWorkerArgs(process.argv.slice(2)));
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
  const namespace = config.prefix ? `, namespace '${config.prefix}'` : '';
  const backend = describeQueueUrl(config.queueUrl);
  logger.log(`Worker ready: queues ${queues}${concurrency} (on ${backend}${namespace})`);
  if (metricsPort !== undefined) {
    const port = await serveOps(app, metricsPort);
    logger.log(`Metrics on http://127.0.0.1:${port}/metrics, health on /health`);
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
