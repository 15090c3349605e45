import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionClosedError, type PgPoolClient } from 'bullmq';

/** How long to wait before opening the session again after it failed to open, in ms. */
const RETRY_MS = 1000;

/** What a session runs on each connection it opens: LISTENs, registrations. */
type OnOpen = (client: PgPoolClient) => Promise<void>;

/**
 * @internal The one long-lived connection of an application, outside the query pool: every
 * worker and event stream LISTENs on it (BullMQ notifies two channels for every queue, with the
 * queue's name as payload), and so do abort requests; workers register on it and locks are
 * held on it. So an application holds its pool and this one connection, whatever the number of
 * queues.
 *
 * When the connection drops it emits `invalidated` (BullMQ's objects LISTEN again on the next
 * one, opened on first use) and `error` once; what was registered with {@link onOpen} is
 * applied again to the next connection, opened at once when there is any.
 */
export class PostgresSession extends EventEmitter {
  private current?: PgPoolClient;
  private opening?: Promise<PgPoolClient>;
  private readonly hooks = new Set<OnOpen>();
  /** The hooks run on the current connection. */
  private applied = new WeakSet<OnOpen>();
  private reopening = false;
  private closed = false;

  constructor(private readonly open: () => Promise<PgPoolClient>) {
    super();
    // One listener per BullMQ object of the application.
    this.setMaxListeners(0);
  }

  /** The connection, opened on first use and again after it dropped. */
  client(): Promise<PgPoolClient> {
    if (this.closed) return Promise.reject(new ConnectionClosedError('Connection is closed.'));
    if (this.current) return Promise.resolve(this.current);
    if (!this.opening) {
      const opening = this.connect();
      this.opening = opening;
      // A failed open is not kept: the next caller tries again.
      opening.then(
        () => this.opening === opening && (this.opening = undefined),
        () => this.opening === opening && (this.opening = undefined),
      );
    }
    return this.opening;
  }

  /** Whether `client` is the session's connection now (it has not dropped). */
  isCurrent(client: PgPoolClient): boolean {
    return this.current === client;
  }

  /**
   * Runs `hook` on the connection now (opening it) and on each one opened after a drop, until
   * {@link offOpen}. Rejects if the connection cannot open now; the hook runs once it does.
   */
  async onOpen(hook: OnOpen): Promise<void> {
    this.hooks.add(hook);
    try {
      const client = await this.client();
      // A connection runs the hooks as it opens: this one may have run already.
      if (this.current === client && !this.applied.has(hook)) await this.apply(client, hook);
    } catch (error) {
      this.reopenSoon();
      throw error;
    }
  }

  offOpen(hook: OnOpen): void {
    this.hooks.delete(hook);
  }

  private async apply(client: PgPoolClient, hook: OnOpen): Promise<void> {
    this.applied.add(hook);
    await hook(client);
  }

  private async connect(): Promise<PgPoolClient> {
    const client = await this.open();
    if (this.closed) {
      client.release(true);
      throw new ConnectionClosedError('Connection is closed.');
    }
    (client as unknown as EventEmitter).setMaxListeners(0);
    oneQueryAtATime(client);
    const lost = (error?: Error) => this.lost(client, error);
    client.on('error', lost);
    client.on('end', () => lost());
    this.current = client;
    this.applied = new WeakSet();
    try {
      for (const hook of [...this.hooks]) await this.apply(client, hook);
    } catch (error) {
      this.lost(client, error as Error);
      throw error;
    }
    return client;
  }

  /** The connection dropped (or a hook failed on it): the next one is opened afresh. */
  private lost(client: PgPoolClient, error?: Error): void {
    if (this.current !== client) return;
    this.current = undefined;
    client.removeAllListeners('notification');
    client.removeAllListeners('end');
    // Later errors of the dead connection are its own dying.
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    client.release(true);
    if (this.closed) return;
    this.emit('invalidated');
    if (error && this.listenerCount('error') > 0) this.emit('error', error);
    this.reopenSoon();
  }

  /** Opens the connection again, while anything registered needs it, until it opens or closes. */
  private reopenSoon(): void {
    if (this.closed || this.reopening || this.hooks.size === 0) return;
    this.reopening = true;
    void (async () => {
      while (!this.closed && !this.current && this.hooks.size > 0) {
        try {
          await this.client();
        } catch {
          await sleep(RETRY_MS);
        }
      }
      this.reopening = false;
    })();
  }

  /** Closes the connection; nothing opens it again. */
  async close(): Promise<void> {
    this.closed = true;
    this.hooks.clear();
    const client = this.current ?? (await this.opening?.catch(() => undefined));
    if (client) this.lost(client);
  }
}

/**
 * Has `client` run its queries one after another: every object of the application sends its
 * own, and node-postgres deprecates queueing a query while another runs.
 */
function oneQueryAtATime(client: PgPoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  let last: Promise<unknown> = Promise.resolve();
  const queued = (...args: unknown[]) => {
    const result = last.then(() => query(...args));
    last = result.catch(() => undefined);
    return result;
  };
  Object.assign(client, { query: queued });
}
