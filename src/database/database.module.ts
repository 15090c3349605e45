import { Module } from '@nestjs/common';
import { readAppConfig } from '../app.config.js';
import { Database, openDatabase } from './database.js';
import { DbSession } from './db-session.js';

/**
 * The example's database: PostgreSQL at `DATABASE_URL`, else PGlite in memory, migrated at
 * start and closed at shutdown. Import it where tasks declare a {@link DbSession} parameter:
 * Nest creates it once however many modules import it.
 */
@Module({
  providers: [
    { provide: Database, useFactory: () => openDatabase(readAppConfig().databaseUrl) },
    DbSession,
  ],
  exports: [Database, DbSession],
})
export class DatabaseModule {}
