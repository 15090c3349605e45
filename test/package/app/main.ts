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
  report('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
