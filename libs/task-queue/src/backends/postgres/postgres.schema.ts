import {
  assertSchemaCompatibility,
  runMigrations,
  SchemaMigrationRequiredError,
  type PgPool,
} from 'bullmq';
import { Logger } from '@nestjs/common';
import { TaskQueueConfigError } from '../../errors/index.js';
import { backendMessages } from '../backend.messages.js';
import { installCompletion } from './postgres.complete-install.js';

/**
 * @internal The PostgreSQL schema the queues live in: named by the configuration, or by a
 * ready-made pool's `search_path`; migrated by BullMQ's migrations when the application may,
 * else only checked to be current.
 */
export class PostgresSchema {
  private readonly logger = new Logger('TaskQueue');
  private ready?: Promise<string>;
  /** Set while the schema is known to need migrations that this application may not run. */
  notMigrated?: Error;

  constructor(
    private readonly pool: PgPool,
    private readonly store: string,
    private readonly name: string | undefined,
    private readonly migrateAtStart: boolean,
  ) {}

  /**
   * The schema's name once it is ready for BullMQ; prepared once, and again after a failure
   * (the server may come up later).
   */
  whenReady(): Promise<string> {
    if (!this.ready) {
      const ready = this.prepare();
      this.ready = ready;
      ready.catch(() => this.ready === ready && (this.ready = undefined));
    }
    return this.ready;
  }

  /** Runs BullMQ's migrations on purpose: the schema and the version it is at now. */
  async migrate(): Promise<{ schema: string; version: number }> {
    const schema = await this.resolveName();
    const version = await this.runMigrations(schema);
    this.notMigrated = undefined;
    return { schema, version };
  }

  private async prepare(): Promise<string> {
    const schema = await this.resolveName();
    if (this.migrateAtStart) {
      await this.runMigrations(schema);
      return schema;
    }
    try {
      await assertSchemaCompatibility(this.pool, schema);
    } catch (error) {
      if (!(error instanceof SchemaMigrationRequiredError)) throw error;
      this.notMigrated = new TaskQueueConfigError(
        backendMessages.schemaNotMigrated(this.store, schema, error.message),
        { cause: error },
      );
      throw this.notMigrated;
    }
    return schema;
  }

  /**
   * BullMQ's migrations, under its own advisory lock, on one connection; then the module's own
   * SQL (postgres.complete-sql.ts), which is written for one version of BullMQ's schema.
   */
  private async runMigrations(schema: string): Promise<number> {
    const client = await this.pool.connect();
    try {
      const version = await runMigrations(client, schema);
      const refused = await installCompletion(client, schema);
      if (refused) this.logger.warn(refused);
      return version;
    } finally {
      client.release();
    }
  }

  /** The configured name, else the first schema of the pool's `search_path`. */
  private async resolveName(): Promise<string> {
    if (this.name) return this.name;
    const { rows } = await this.pool.query<{ path: string }>(
      `SELECT current_setting('search_path') AS path`,
    );
    const first = (rows[0]?.path ?? '')
      .split(',')
      .map((part) => part.trim().replace(/^"(.*)"$/, '$1'))
      .find((part) => part && part !== '$user');
    return first ?? 'public';
  }
}
