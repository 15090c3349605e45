import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readAppConfig } from './app.config.js';
import { AppModule } from './app.module.js';
import { Database } from './database/database.js';

/** The one-command demo: HTTP API and task workers in one process. */
async function bootstrap() {
  const config = readAppConfig();
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  await app.listen(config.port, '127.0.0.1');
  const url = await app.getUrl();
  const logger = new Logger('Example');
  const redis = config.redisUrl.replace(/\/\/[^@/]*@/, '//***@'); // no password in logs
  logger.log(`Listening on ${url} (Redis ${redis}, key prefix '${config.prefix}')`);
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
