// The consumer's worker process: the package's runWorker on its own module, which says
// `worker: false`. It logs its startup line and ends by itself on SIGTERM.
import 'reflect-metadata';
import { runWorker } from 'nestjs-task-queue';
import { WorkerAppModule } from './worker-app.module.js';

runWorker(WorkerAppModule, { concurrency: 2 }).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
