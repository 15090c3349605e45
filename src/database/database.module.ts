import { Global, Module } from '@nestjs/common';
import { readAppConfig } from '../app.config.js';
import { Database } from './database.js';
import { openDatabase } from './open-database.js';
import { DbSession } from './db-session.js';

/**
 * The example's database: PostgreSQL at `DATABASE_URL`, migrated at start, else PGlite in memory
 * (from `PGLITE_LOAD_DATA_DIR` when set), started and migrated at its first use; closed at shutdown. Import it where tasks declare a {@link DbSession} parameter:
 * Nest creates it once however many modules import it.
 *
 * Global, and imported first by AppModule, so that it shuts down after TaskQueueModule (global
 * too): Nest runs the shutdown hooks of global modules after the others, in the reverse of the
 * order it met them. On PGlite the queues run on this module's instance, which must outlive them.
 * test/example-database.e2e-spec.ts fails if a Nest upgrade changes that order.
 */
@Global()
@Module({
  providers: [
    {
      provide: Database,
      useFactory: () => {
        const { databaseUrl, pgliteLoadDataDir } = readAppConfig();
        return openDatabase(databaseUrl, { loadDataDir: pgliteLoadDataDir });
      },
    },
    DbSession,
  ],
  exports: [Database, DbSession],
})
export class DatabaseModule {}
