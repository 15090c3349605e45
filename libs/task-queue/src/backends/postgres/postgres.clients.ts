import type { PgPool, PgPoolClient } from 'bullmq';
import type { PostgresSession } from './postgres.session.js';

/** A registration: a shared advisory lock on the name's 64-bit hash, held by the session. */
const REGISTER = 'SELECT pg_advisory_lock_shared(hashtextextended($1, 0))';
const UNREGISTER = 'SELECT pg_advisory_unlock_shared(hashtextextended($1, 0))';

/** Per name of `$1`, one row for each session of this database that holds it registered. */
const HOLDERS = `WITH wanted AS (
    SELECT name, hashtextextended(name, 0) AS key FROM unnest($1::text[]) AS name)
  SELECT w.name, l.pid FROM wanted w
    JOIN pg_locks l ON l.locktype = 'advisory' AND l.mode = 'ShareLock' AND l.granted
     AND l.objsubid = 1
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND l.classid = ((w.key >> 32) & 4294967295)::oid
     AND l.objid = (w.key & 4294967295)::oid
   ORDER BY w.name, l.pid`;

/**
 * @internal The workers and event streams of an application, as every process sees them. BullMQ
 * finds a queue's workers by the `application_name` of their LISTEN connections; they share
 * one connection here, and a connection has one name. So each name is registered on that
 * connection instead, as a shared advisory lock (which any number of sessions hold at once,
 * ends with the session as the name would, and which `pg_locks` shows to every session), and
 * listed in the lines BullMQ's client list parser reads.
 *
 * A session registers a name once however many of its objects carry it; two names whose hashes
 * collide (64 bits) would be counted as each other.
 */
export class PostgresClients {
  /** How many objects of this application carry each name. */
  private readonly counts = new Map<string, number>();
  /** The names registered on `heldOn`, the session's connection when they were. */
  private held = new Set<string>();
  private heldOn?: PgPoolClient;
  private hooked = false;

  constructor(
    private readonly session: PostgresSession,
    private readonly pool: PgPool,
  ) {}

  /** Registers `name` until {@link unregister}, again on each connection after a drop. */
  async register(name: string): Promise<void> {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    if (!this.hooked) {
      this.hooked = true;
      // Kept when the connection is down: the session applies it once the connection is back.
      await this.session.onOpen((client) => this.registerAll(client));
    }
    await this.lockOn(await this.session.client(), name);
  }

  async unregister(name: string): Promise<void> {
    const count = (this.counts.get(name) ?? 0) - 1;
    if (count > 0) return void this.counts.set(name, count);
    this.counts.delete(name);
    if (!this.held.delete(name)) return;
    // A connection that dropped took its registrations with it.
    await this.heldOn?.query(UNREGISTER, [name]).catch(() => undefined);
  }

  /** BullMQ's client list (`name=<name>` lines) for `names`, from every process. */
  async list(names: readonly string[]): Promise<string> {
    const { rows } = await this.pool.query<{ name: string; pid: number }>(HOLDERS, [names]);
    return rows.map(({ name, pid }) => `id=${pid} name=${name}`).join('\n');
  }

  private async registerAll(client: PgPoolClient): Promise<void> {
    await Promise.all([...this.counts.keys()].map((name) => this.lockOn(client, name)));
  }

  /** Registers `name` on `client`, once, if it is still wanted. */
  private async lockOn(client: PgPoolClient, name: string): Promise<void> {
    if (this.heldOn !== client) {
      // A call made before a drop, running late.
      if (!this.session.isCurrent(client)) return;
      this.heldOn = client;
      this.held = new Set();
    }
    if (!this.counts.has(name) || this.held.has(name)) return;
    this.held.add(name);
    await client.query(REGISTER, [name]);
  }
}
