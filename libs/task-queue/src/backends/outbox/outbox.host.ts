import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { TaskQueueConfigError } from '../../errors/index.js';
import type { TaskTracing } from '../../observability/task-queue.tracing.js';
import type { TaskQueueConfig } from '../../task-queue.config.js';
import type { QueueBackend } from '../queue-backend.js';
import { OutboxConnection } from './outbox.connection.js';
import { OutboxRelay } from './outbox.relay.js';
import { OutboxSql } from './outbox.sql.js';
import { OutboxWriter } from './outbox.writer.js';

/**
 * @internal The Redis outbox of an application (`forRoot({ outbox })`): the writer its job
 * stores enqueue through, and, in a process that runs workers, the relay. Makes the table at
 * bootstrap (unless `migrate: false`); on shutdown stops the relay (its batch under way ends
 * first) and ends its connections, before the backend closes the queues the relay adds to.
 */
export class TaskQueueOutbox implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TaskQueue');

  constructor(
    private readonly connection: OutboxConnection,
    readonly writer: OutboxWriter,
    private readonly relay: OutboxRelay | undefined,
  ) {}

  /**
   * A bad setup (`migrate: false` with no table) fails the bootstrap; an unreachable database
   * does not: enqueues and the relay try again when used.
   */
  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.connection.whenReady();
    } catch (error) {
      if (error instanceof TaskQueueConfigError) throw error;
      this.logger.error(`Outbox: the outbox table is not ready yet: ${(error as Error).message}`);
    }
    this.relay?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.connection.close();
  }

  /** Creates the outbox table if missing: its schema and the version it is at. */
  async migrate(): Promise<{ schema: string; version: number }> {
    await this.connection.migrate();
    return { schema: this.connection.sql.schema, version: OutboxSql.VERSION };
  }
}

/** @internal The outbox `config` names, or `null` without one (or on a backend other than Redis). */
export function createOutbox(
  config: TaskQueueConfig,
  backend: QueueBackend,
  tracing: TaskTracing,
): TaskQueueOutbox | null {
  if (!config.outbox || config.backend.kind !== 'redis') return null;
  const { prefix } = config.backend;
  const connection = new OutboxConnection(config.outbox, config.migrate);
  const writer = new OutboxWriter(connection, prefix, tracing);
  const relay =
    config.workerQueues.length > 0
      ? new OutboxRelay(connection, backend, prefix, new Logger('TaskQueue'))
      : undefined;
  return new TaskQueueOutbox(connection, writer, relay);
}
