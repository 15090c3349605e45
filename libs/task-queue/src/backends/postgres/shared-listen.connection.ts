import { ConnectionClosedError, PostgresConnection, type PgPool } from 'bullmq';
import type { PostgresClients } from './postgres.clients.js';
import type { PostgresSession } from './postgres.session.js';

/** The application's one LISTEN connection, and the registry of who listens on it. */
export interface SharedListen {
  session: PostgresSession;
  clients: PostgresClients;
}

/**
 * @internal BullMQ's PostgreSQL connection, with the LISTEN connection of the application
 * instead of one of its own per worker and event stream (`listen` unset: one of its own, as
 * BullMQ does). This relies on what BullMQ 6.7 does with that connection, which
 * test/postgres-listen.e2e-spec.ts pins:
 * - its backend takes it only from `getListenClient()`, and only runs `LISTEN bullmq_jobs` and
 *   `LISTEN bullmq_events` on it and adds and removes `notification` listeners (which filter
 *   by channel and queue name): it never UNLISTENs, releases or ends it (its own close and
 *   error handling do, which never see this one);
 * - it names it (`application_name`, for `getWorkers()`) only through `setListenClientName()`:
 *   here the name is registered with {@link PostgresClients} instead, one connection having
 *   one name;
 * - when the connection emits `listenerinvalidated`, its backend LISTENs again on the next
 *   `getListenClient()` and ends the waits parked on the dead connection.
 */
export class SharedListenConnection extends PostgresConnection {
  private closed = false;
  /** The name this connection's object registered under, if any. */
  private registered?: string;
  private readonly invalidated = () => this.emit('listenerinvalidated');

  constructor(
    pool: PgPool,
    private readonly listen: SharedListen | undefined,
  ) {
    super(pool);
    listen?.session.on('invalidated', this.invalidated);
  }

  /** Where this connection's objects are registered; unset without a shared connection. */
  get clients(): PostgresClients | undefined {
    return this.listen?.clients;
  }

  // BullMQ names a worker's LISTEN connection once the schema is ready, which may be after the
  // worker was closed (an application closed right after it started): the connection it
  // would open then is never closed, and keeps the process alive.
  override getListenClient(): ReturnType<PostgresConnection['getListenClient']> {
    if (this.closed) return Promise.reject(new ConnectionClosedError('Connection is closed.'));
    return this.listen?.session.client() ?? super.getListenClient();
  }

  override async setListenClientName(name: string): Promise<void> {
    if (!this.listen) return super.setListenClientName(name);
    if (this.closed || this.registered === name) return;
    const previous = this.registered;
    this.registered = name;
    if (previous) await this.listen.clients.unregister(previous);
    await this.listen.clients.register(name);
  }

  override close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.listen?.session.off('invalidated', this.invalidated);
      if (this.registered) void this.listen?.clients.unregister(this.registered);
    }
    return super.close();
  }
}
