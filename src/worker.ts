import './tracing.js';
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { runWorker } from '@app/task-queue';
import { AppModule } from './app.module.js';
import { serveOps } from './ops/ops-server.js';

// `npm run worker -- [--queues a,b] [--concurrency N] [--metrics-port P]`: the package's
// runWorker on the app's own AppModule (TASK_WORKER does not matter here), plus GET /metrics
// and /health on 127.0.0.1:P for Prometheus. runWorker checks the queues and concurrency, says
// what is wrong, and ends the process by itself on SIGTERM / SIGINT.
try {
  const { values } = parseArgs({
    options: {
      queues: { type: 'string' },
      concurrency: { type: 'string' },
      'metrics-port': { type: 'string' },
    },
  });
  const app = await runWorker(AppModule, {
    queues: values.queues?.split(',').map((queue) => queue.trim()),
    concurrency: values.concurrency === undefined ? undefined : Number(values.concurrency),
  });
  const metricsPort = values['metrics-port'];
  if (metricsPort !== undefined) {
    if (!/^\d+$/.test(metricsPort))
      throw new Error(`--metrics-port must be a port number, not '${metricsPort}'`);
    const port = await serveOps(app, Number(metricsPort));
    new Logger('Worker').log(`Metrics on http://127.0.0.1:${port}/metrics, health on /health`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
