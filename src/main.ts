import './tracing.js';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describeQueueUrl, readAppConfig } from './app.config.js';
import { AppModule } from './app.module.js';
import { Database } from './database/database.js';
import { closeOnSignals } from './shutdown.js';

/**
 * The HTTP API. By default it also runs the task workers, so the demo is one command
 * (`npm start`); with `TASK_WORKER=false` (`npm run api`) it only enqueues, and
 * `npm run worker` processes run the jobs.
 */
async function bootstrap() {
  const config = readAppConfig();
  const app = await NestFactory.create(AppModule);
  const logger = new Logger('Example');
  closeOnSignals(app, logger);
  await app.listen(config.port, '127.0.0.1');
  const url = await app.getUrl();
  const namespace = config.prefix ? `, namespace '${config.prefix}'` : '';
  logger.log(`Listening on ${url} (queues on ${describeQueueUrl(config.queueUrl)}${namespace})`);
  if (!config.worker) logger.log('Workers: none here (TASK_WORKER=false); run `npm run worker`');
  logger.log(
    app.get(Database).driver === 'pglite'
      ? 'Database: embedded PGlite in memory (set DATABASE_URL for PostgreSQL)'
      : 'Database: PostgreSQL at DATABASE_URL',
  );
  logger.log(
    `Try: curl -s -X POST ${url}/process -H 'content-type: application/json' -d '{"userId":42}'`,
  );
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
