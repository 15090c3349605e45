import { fileURLToPath } from 'node:url';
import { PGlite, type Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { MigrationConfig } from 'drizzle-orm/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type pg from 'pg';
import * as schema from './schema.js';

/** The Drizzle database of the example, whichever driver is underneath. */
export type AppDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The `tx` of `AppDatabase.transaction()`. */
export type AppTransaction = Parameters<Parameters<AppDatabase['transaction']>[0]>[0];

/** One transaction on a connection of its own: queries through `db`, then commit or roll back once. */
export interface TransactionLease {
  readonly db: AppDatabase;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** Where the migrations live: beside this file, in the sources and in the build (nest-cli assets). */
const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Runs `assertOpen` before every query of `client`: once a session has ended, a late query fails
 * with that check's error instead of reaching a connection that is no longer the session's.
 */
function guarded<T extends { query: (...args: never[]) => unknown }>(
  client: T,
  assertOpen: () => void,
): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return (...args: never[]) => {
        assertOpen();
        return target.query(...args);
      };
    },
  });
}

/**
 * The example's database: the singleton `db` for work outside a job, and `begin()` for one
 * job's transaction. Two drivers, one Drizzle API: {@link PostgresDatabase} (a `pg` pool) and
 * {@link EmbeddedDatabase} (PGlite in memory).
 */
export abstract class Database implements OnApplicationShutdown {
  abstract readonly driver: 'postgres' | 'pglite';
  abstract readonly db: AppDatabase;

  /**
   * Opens a transaction on a connection of its own. Every query of the lease's `db` first calls
   * `assertOpen`, so the caller decides when the lease refuses further use.
   */
  abstract begin(assertOpen: () => void): Promise<TransactionLease>;

  abstract close(): Promise<void>;

  /**
   * Applies the SQL migrations not applied yet. Their bookkeeping table lives in the current
   * schema (the first of `search_path`), beside the tables, so two schemas migrate apart.
   */
  async migrate(): Promise<void> {
    const migrationsSchema = await this.currentSchema();
    if (!migrationsSchema) throw new Error('The database has no current schema: check search_path');
    await this.applyMigrations({ migrationsFolder: MIGRATIONS, migrationsSchema });
  }

  /** After the workers have stopped (they close before shutdown): no job still holds a connection. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  protected abstract currentSchema(): Promise<string | null | undefined>;
  protected abstract applyMigrations(config: MigrationConfig): Promise<void>;
}

const CURRENT_SCHEMA = 'select current_schema() as schema';

/** PostgreSQL through a `pg` pool: each transaction checks out a client of its own. */
export class PostgresDatabase extends Database {
  readonly driver = 'postgres';
  readonly db: AppDatabase;

  constructor(readonly pool: pg.Pool) {
    super();
    this.db = drizzlePg({ client: pool, schema });
    // An idle client losing its server emits 'error' on the pool: log it rather than crash.
    pool.on('error', (error) =>
      new Logger(Database.name).warn(`Idle connection lost: ${error.message}`),
    );
  }

  async begin(assertOpen: () => void): Promise<TransactionLease> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    let ended = false;
    // The client goes back to the pool once, after COMMIT or ROLLBACK; a broken one is destroyed.
    const end = async (statement: 'COMMIT' | 'ROLLBACK') => {
      if (ended) return;
      ended = true;
      try {
        await client.query(statement);
        client.release();
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
    };
    return {
      db: drizzlePg({ client: guarded(client, assertOpen), schema }),
      commit: () => end('COMMIT'),
      rollback: () => end('ROLLBACK'),
    };
  }

  protected async currentSchema() {
    return (await this.pool.query<{ schema: string | null }>(CURRENT_SCHEMA)).rows[0]?.schema;
  }

  protected applyMigrations(config: MigrationConfig) {
    return migratePg(drizzlePg({ client: this.pool }), config);
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}

/**
 * PGlite: PostgreSQL compiled to WebAssembly, in this process, with one connection. Its
 * `transaction()` holds that connection exclusively until the callback settles, so job
 * transactions run one after another (other queries wait too) instead of interleaving.
 *
 * The queues run on this same instance when they are on PGlite (app.module.ts), so that a signup
 * commits its user and its job together. Then a job's open transaction makes the queues'
 * statements wait too, which is why the design keeps to two rules: every transaction is short
 * and awaits nothing but its own queries, and whatever enqueues while it holds one enqueues
 * through it (`{ transaction: drizzleTransaction(await db.tx()) }` in a task). An enqueue beside
 * its own open transaction would wait for that transaction, which waits for the enqueue: a
 * deadlock until the job's timeout. Through the transaction, the follow-up job also commits or
 * rolls back with the job's writes, which is what it should do anyway.
 *
 * Started on first use rather than at boot: a process that never queries it (a CLI command, a
 * worker whose queues are on Redis) does not pay for starting PostgreSQL in WebAssembly and
 * migrating it. {@link EmbeddedDatabase.open} starts and migrates it once; every query waits for
 * that, and queues that share the instance take it from there at their own start.
 */
export class EmbeddedDatabase extends Database {
  readonly driver = 'pglite';
  readonly db: AppDatabase;
  /** Started, not yet migrated: what the migrations run on. */
  private started?: Promise<PGlite>;
  /** Started and migrated: what everything else runs on. */
  private opened?: Promise<PGlite>;
  private closed = false;

  /** `start` makes the PGlite, at the first use. */
  constructor(private readonly start: () => Promise<PGlite>) {
    super();
    this.db = drizzlePglite({ client: openedOnFirstQuery(() => this.open()), schema });
  }

  /** The PGlite, started and migrated at the first call; a failed start closes it. */
  open(): Promise<PGlite> {
    return (this.opened ??= this.migrate().then(
      () => this.instance(),
      async (error: unknown) => {
        await this.close();
        throw error;
      },
    ));
  }

  begin(assertOpen: () => void): Promise<TransactionLease> {
    return new Promise<TransactionLease>((opened, failedToOpen) => {
      let settle!: { resolve: () => void; reject: (reason: unknown) => void };
      const outcome = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      const rolledBack = new Error('rolled back');
      const done = this.open()
        .then((pglite) =>
          pglite.transaction(async (tx: PGliteTransaction) => {
            opened({
              // Drizzle's PGlite session only calls `query` on its client, which a transaction has.
              db: drizzlePglite({ client: guarded(tx, assertOpen) as unknown as PGlite, schema }),
              commit: async () => {
                settle.resolve();
                await done;
              },
              rollback: async () => {
                settle.reject(rolledBack);
                await done.catch((error: unknown) => {
                  if (error !== rolledBack) throw error;
                });
              },
            });
            // PGlite commits when this resolves, rolls back when it rejects.
            await outcome;
          }),
        )
        .then(() => undefined);
      done.catch(failedToOpen); // no-op once opened: the start or BEGIN itself failed
    });
  }

  protected async currentSchema() {
    const pglite = await this.instance();
    return (await pglite.query<{ schema: string | null }>(CURRENT_SCHEMA)).rows[0]?.schema;
  }

  protected async applyMigrations(config: MigrationConfig) {
    return migratePglite(drizzlePglite({ client: await this.instance() }), config);
  }

  /** Closes the PGlite if it was started; one never used is never started. */
  async close(): Promise<void> {
    this.closed = true;
    const pglite = await this.started?.catch(() => undefined); // a failed start left nothing open
    if (pglite && !pglite.closed) await pglite.close();
  }

  private instance(): Promise<PGlite> {
    if (this.closed && !this.started) {
      return Promise.reject(
        new Error('The embedded database was closed before its first use: nothing can query it'),
      );
    }
    return (this.started ??= this.start());
  }
}

/**
 * A client for Drizzle that opens the PGlite on its first query. Drizzle's PGlite session calls
 * only `query` and `transaction` on its client.
 */
function openedOnFirstQuery(open: () => Promise<PGlite>): PGlite {
  const client: Pick<PGlite, 'query' | 'transaction'> = {
    query: async (text, params, options) => (await open()).query(text, params, options),
    transaction: async (callback) => (await open()).transaction(callback),
  };
  return client as PGlite;
}
