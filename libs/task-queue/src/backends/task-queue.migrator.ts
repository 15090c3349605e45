import { Inject, Injectable, Optional } from '@nestjs/common';
import { TaskQueueOutbox } from './outbox/outbox.host.js';
import { BackendHealth } from '../observability/backend-health.js';
import type { BackendKind } from '../observability/backend-health.js';
import { QueueBackend } from './queue-backend.js';

/** What {@link TaskQueueMigrator.migrate} did. */
export interface TaskQueueMigration {
  /** The kind of backend the queues live in: `'redis'`, `'postgres'` or `'pglite'`. */
  backend: BackendKind;
  /** The PostgreSQL schema migrated; `undefined` on Redis, which has no schema. */
  schema?: string;
  /** BullMQ's schema version the schema is at now; `undefined` on Redis. */
  version?: number;
  /** Redis with `forRoot({ outbox })`: the outbox table's schema and version now. */
  outbox?: {
    /** The schema of the outbox table (`outbox.schema`, default `task_queue_outbox`). */
    schema: string;
    /** The outbox table's schema version now. */
    version: number;
  };
}

/**
 * Runs BullMQ's PostgreSQL schema migrations on purpose, for deployments that start their
 * applications with `migrate: false` and migrate in a release step instead. Safe to run again
 * and from several processes at once (BullMQ serializes them under an advisory lock). On Redis
 * there is nothing to migrate, but the outbox's table (`forRoot({ outbox })`).
 *
 * @example
 * ```ts
 * const app = await NestFactory.createApplicationContext(AppModule);
 * const { schema, version } = await app.get(TaskQueueMigrator).migrate();
 * console.log(`schema ${schema} at version ${version}`);
 * await app.close();
 * ```
 */
@Injectable()
export class TaskQueueMigrator {
  /** @internal Made by Nest: inject it. */
  constructor(
    private readonly health: BackendHealth,
    // Absent under the testing module, which has no backend and nothing to migrate.
    @Optional() private readonly backend?: QueueBackend,
    @Optional() @Inject(TaskQueueOutbox) private readonly outbox?: TaskQueueOutbox | null,
  ) {}

  /**
   * Brings the schema up to this BullMQ's version, and creates the Redis outbox's table when
   * there is one; rejects when the backend (or the outbox's database) is unreachable.
   */
  async migrate(): Promise<TaskQueueMigration> {
    const migration: TaskQueueMigration = {
      backend: this.health.kind,
      ...(await this.backend?.migrate()),
    };
    if (this.outbox) migration.outbox = await this.outbox.migrate();
    return migration;
  }
}
