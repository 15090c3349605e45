import { Injectable, Optional } from '@nestjs/common';
import { BackendHealth } from '../observability/backend-health.js';
import type { BackendKind } from '../observability/backend-health.js';
import { QueueBackend } from './queue-backend.js';

/** What {@link TaskQueueMigrator.migrate} did. */
export interface TaskQueueMigration {
  backend: BackendKind;
  /** The PostgreSQL schema migrated; `undefined` on Redis, which has no schema. */
  schema?: string;
  /** BullMQ's schema version the schema is at now; `undefined` on Redis. */
  version?: number;
}

/**
 * Runs BullMQ's PostgreSQL schema migrations on purpose, for deployments that start their
 * applications with `migrate: false` and migrate in a release step instead. Safe to run again
 * and from several processes at once (BullMQ serializes them under an advisory lock). On Redis
 * there is nothing to migrate.
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
  ) {}

  /** Brings the schema up to this BullMQ's version; rejects when the backend is unreachable. */
  async migrate(): Promise<TaskQueueMigration> {
    return { backend: this.health.kind, ...(await this.backend?.migrate()) };
  }
}
