import { EventEmitter } from 'node:events';
import type { PgPool, PgPoolClient, PgQueryResult } from 'bullmq';
import { PGliteChannels, type SessionProcess } from './pglite.channels.js';
import { PGliteClientNames } from './pglite.client-names.js';
import { PGliteSession } from './pglite.session.js';

/**
 * Parsers of column values by type OID (PGlite's `parsers` option).
 *
 * @inline
 */
type Parsers = Record<number, (value: string) => unknown>;
/**
 * A callback of `listen`, called with each notification's payload.
 *
 * @inline
 */
type Listener = (payload: string) => void;
type Result<R> = PgQueryResult<R> & { command?: string };
/**
 * What a statement returned (PGlite's `Results`).
 *
 * @inline
 */
type Rows<R> = {
  /** The rows, one object per row, keyed by column name. */
  rows: R[];
  /** Rows the statement affected (an `INSERT`, `UPDATE` or `DELETE`), or returned. */
  rowCount?: number;
  /** The statement's command tag, such as `'SELECT'`. */
  command?: string;
};
type Params = readonly unknown[];
type Row = Record<string, unknown>;
type Run = <R>(text: string, params?: Params) => Promise<Result<R>>;

/**
 * The members of `@electric-sql/pglite`'s `PGlite` this pool uses, declared here so that our
 * published types do not depend on PGlite's.
 */
export interface PGliteLike {
  /** Resolves once the database is open; the pool waits for it before its first statement. */
  readonly waitReady: Promise<void>;
  /** Whether the database has been closed (PGlite's `closed`). */
  readonly closed: boolean;
  /** Runs one statement with `$1`-style parameters (PGlite's `query`). */
  query<R>(text: string, params?: unknown[], options?: { parsers?: Parsers }): Promise<Rows<R>>;
  /** Runs statements without parameters, several at once (PGlite's `exec`). */
  exec(text: string, options?: { parsers?: Parsers }): Promise<Rows<object>[]>;
  /** Subscribes `callback` to the notifications of `channel` (PGlite's `listen`). */
  listen(channel: string, callback: Listener): Promise<unknown>;
  /** Removes a subscription made by `listen` (PGlite's `unlisten`). */
  unlisten(channel: string, callback: Listener): Promise<void>;
  /** Whether the session is inside a transaction (PGlite's `isInTransaction`). */
  isInTransaction(): boolean;
}

export interface PGlitePoolOptions {
  /**
   * `search_path` of this pool's statements, e.g. `"my_schema"` (quoted identifiers,
   * comma-separated): set on the session when this pool's turn follows another pool's.
   */
  searchPath?: string;
}

/** Where PGlite's results differ from node-postgres': int8 may exceed 2^53, numeric is exact. */
const PARSERS: Parsers = { 20: (value) => value, 1700: (value) => value };
const LEADING_COMMENTS = /^(?:\s+|--[^\n]*|\/\*[\s\S]*?\*\/)*/;
const LISTEN = /^(UN)?LISTEN\s+("(?:[^"]|"")+"|[^\s;]+)\s*;?\s*$/i;
const ENDED = 'Cannot use a pool after calling end on the pool';

/**
 * A node-postgres-like pool (BullMQ's `PgPool`) whose clients all share one PGlite.
 *
 * PGlite is a single PostgreSQL session, so a real `pg.Pool` over pglite-socket only works
 * with one connection: with more, their protocol messages interleave in the one session. Here
 * the clients are views of that session instead: a client that opens a transaction has the
 * session to itself until the transaction ends (everyone else waits, the clients of every other
 * pool over that PGlite too: see PGliteSession), LISTEN/UNLISTEN are kept
 * per client (a LISTEN does not wait behind other clients' statements), and so is
 * `application_name`, which `pg_stat_activity` lists per client. Each statement first lets the
 * event loop turn, as a query over a socket would. Statements sent to the PGlite other than
 * through this pool do not wait for a client's transaction. `end()` leaves the PGlite open: its
 * owner closes it.
 */
export class PGlitePool extends EventEmitter implements PgPool {
  private readonly session: PGliteSession;
  private ready?: Promise<void>;
  private ended = false;
  /** Written once by `init()`; the channels read it. */
  private readonly process: SessionProcess = {};
  private readonly channels: PGliteChannels;
  private readonly names = new PGliteClientNames();

  constructor(
    private readonly db: PGliteLike,
    private readonly options: PGlitePoolOptions = {},
  ) {
    super();
    this.session = PGliteSession.of(db);
    this.channels = new PGliteChannels(db, this.process);
  }

  async query<R = Row>(text: string, params?: Params): Promise<Result<R>> {
    if (this.ended) throw new Error(ENDED);
    // A one-off checkout: a transaction cannot outlive it.
    return this.withSession({}, false, () => this.send<R>(text, params));
  }

  async connect(): Promise<PgPoolClient> {
    if (this.ended) throw new Error(ENDED);
    const client: PGlitePoolClient = new PGlitePoolClient(
      (text, params) => this.clientQuery(client, text, params),
      () => this.release(client),
    );
    this.emit('connect', client);
    return client;
  }

  /** Stops the pool's LISTENs; clients still checked out can query until released. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.db.closed || !this.ready) return;
    await this.channels.end((unlisten) =>
      this.withSession(this, false, async () => {
        await unlisten();
        await this.names.forgetAll((text, params) => this.send(text, params));
      }),
    );
  }

  /** Runs `fn` in `owner`'s turn on the session (see PGliteSession.run), with this pool's settings. */
  private withSession<T>(owner: object, keep: boolean, fn: () => Promise<T>, ahead = false) {
    return this.session.run(
      owner,
      keep,
      async () => {
        await (this.ready ??= this.init());
        await this.session.useSearchPath(this.options.searchPath);
        return fn();
      },
      ahead,
    );
  }

  private async send<R>(text: string, params?: Params): Promise<Result<R>> {
    // Without parameters node-postgres uses the simple protocol, which takes several
    // statements (BullMQ's migrations are whole SQL files): so does `exec`.
    const results = params?.length
      ? [await this.db.query<R>(text, [...params], { parsers: PARSERS })]
      : await this.db.exec(text, { parsers: PARSERS });
    const { rows, rowCount, command } = results[results.length - 1];
    return { rows: rows as R[], rowCount: rowCount ?? null, command };
  }

  /** A client's statement: LISTEN, UNLISTEN and its name are kept per client. */
  private async clientQuery<R>(client: EventEmitter, text: string, params?: Params) {
    const run = (sql: string, values?: Params) => this.send(sql, values);
    if (this.names.isNaming(text, params)) {
      const inTurn = () => this.names.name(client, params![0], run);
      return (await this.withSession(client, true, inTurn)) as Result<R>;
    }
    const match = !params?.length && LISTEN.exec(text.replace(LEADING_COMMENTS, ''));
    if (!match) return this.withSession(client, true, () => this.send<R>(text, params));
    const [, un, name] = match;
    const quoted = name.startsWith('"');
    const channel = quoted ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();
    if (un) this.channels.unlisten(client, quoted || name !== '*' ? channel : undefined);
    else {
      // A channel new to the session: its LISTEN goes ahead of the statements waiting.
      const inTurn = (statement: () => Promise<unknown>) =>
        this.withSession(client, true, statement, true);
      await this.channels.listen(client, channel, inTurn);
    }
    return { rows: [], rowCount: null, command: un ? 'UNLISTEN' : 'LISTEN' } as Result<R>;
  }

  /** Rolls back what `client` left open, ends its LISTENs and forgets its name. */
  private async release(client: EventEmitter): Promise<void> {
    this.channels.unlisten(client);
    const forget = () => this.names.forget(client, (text, params) => this.send(text, params));
    await this.withSession(client, false, forget).catch((err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
  }

  private async init(): Promise<void> {
    await this.db.waitReady;
    const { rows } = await this.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    this.process.processId = rows[0]?.pid;
  }
}

/** A checked-out client: its queries run one after another, as on one connection. */
class PGlitePoolClient extends EventEmitter implements PgPoolClient {
  private queue: Promise<unknown> = Promise.resolve();
  private released = false;

  constructor(
    private readonly run: Run,
    private readonly onRelease: () => Promise<void>,
  ) {
    super();
  }

  query<R = Row>(text: string, params?: Params): Promise<Result<R>> {
    if (this.released) return Promise.reject(new Error('The client was released to its pool'));
    return this.enqueue(() => this.run<R>(text, params));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    void this.enqueue(this.onRelease);
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
