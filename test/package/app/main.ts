// A consumer application of the packed nestjs-task-queue, built by scripts/test-package.js as
// an ESM app on NestJS 12 and as a CommonJS app on NestJS 11. It reports what it saw as one
// JSON object per line on stdout, and runs until SIGTERM.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { InvalidPayloadError, TaskQueues } from 'nestjs-task-queue';
import { AppModule, report } from './app.module.js';

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  const queue = app.get(TaskQueues).get('default');
  for (const name of ['first', 'second']) {
    report('applied', await queue.apply('greet', { name }, { timeout: 20 }));
  }
  try {
    await queue.enqueue('greet', { name: 10n });
    report('bad-payload', { accepted: true });
  } catch (error) {
    const { name, message } = error as Error;
    report('bad-payload', { name, message, typed: error instanceof InvalidPayloadError });
  }
  report('durable', await onboard(app.get(TaskQueues)));
  report('ready');
}

/**
 * Runs the durable task: sends its event until a waiting job takes it (an event no job waits
 * for is not kept), then reads the finished job back with its steps.
 */
async function onboard(queues: TaskQueues) {
  const queue = queues.get('default');
  const { id } = await queue.enqueue('onboard', { userId: 7 });
  const deadline = Date.now() + 30_000;
  let woken = 0;
  while (woken === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    woken = await queues.sendEvent('email.confirmed', { userId: 7, via: 'sendEvent' });
  }
  let job = await queue.getJob(id);
  while (job?.status !== 'complete' && job?.status !== 'failed' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    job = await queue.getJob(id);
  }
  return { woken, status: job?.status, result: job?.result, steps: job?.steps.map((s) => s.id) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
