/**
 * @internal The outbox's SQL, for schema `schema` (checked against a strict pattern by
 * `resolveOutbox`, so it is quoted in as it is). One table: a row per job, or per flow (its whole
 * tree, which BullMQ adds atomically), in the order committed rows are relayed (`seq`).
 */
export class OutboxSql {
  readonly table: string;
  /** The NOTIFY channel of this outbox: a row's commit wakes the relays that LISTEN on it. */
  readonly channel: string;

  constructor(readonly schema: string) {
    this.table = `"${schema}".outbox`;
    this.channel = `${schema}.outbox`;
  }

  /** The version the DDL below makes; kept in the table's comment. */
  static readonly VERSION = 1;

  /**
   * Idempotent DDL, run under an advisory lock (two processes creating the same table at once
   * would otherwise collide on the catalogue). `body` is `json`, not `jsonb`: the payload
   * reaches the task with its keys in the order they were given. `prefix` is the Redis key
   * prefix of the application that wrote the row: applications on other prefixes (or Redis
   * servers) can share one database.
   */
  get migration(): string[] {
    return [
      `SELECT pg_advisory_xact_lock(hashtext('nestjs-task-queue outbox ' || '${this.schema}'))`,
      `CREATE SCHEMA IF NOT EXISTS "${this.schema}"`,
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         id text NOT NULL,
         prefix text NOT NULL,
         kind text NOT NULL CHECK (kind IN ('job', 'flow')),
         queue text NOT NULL,
         body json NOT NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp()
       )`,
      `CREATE INDEX IF NOT EXISTS outbox_prefix_seq ON ${this.table} (prefix, seq)`,
      `COMMENT ON TABLE ${this.table} IS 'nestjs-task-queue outbox, version ${OutboxSql.VERSION}'`,
    ];
  }

  /** Whether the table exists: `[{ present }]`. */
  get exists(): string {
    return `SELECT to_regclass('${this.table}') IS NOT NULL AS present`;
  }

  /**
   * Where a connection is (database, server start, whether it has the table) and the id of the
   * transaction it is in: `[{ database, started, present, xid }]`.
   */
  get identity(): string {
    return (
      `SELECT current_database() AS database, pg_postmaster_start_time()::text AS started, ` +
      `to_regclass('${this.table}') IS NOT NULL AS present, txid_current()::text AS xid`
    );
  }

  /**
   * Inserts the rows of `$1` (a JSON array of `{ id, kind, queue, body }`, in order) for prefix
   * `$2`, only inside transaction `$4` (`txid_current()`): outside BEGIN each statement is a
   * transaction of its own, so a client that is not in the transaction it was found in adds
   * nothing, and says so (`added` 0). Then notifies channel `$3` with the prefix, which inside
   * the caller's transaction is delivered at its COMMIT and dropped at a ROLLBACK. One round trip.
   */
  get insert(): string {
    return `WITH added AS (
        INSERT INTO ${this.table} (id, prefix, kind, queue, body)
        SELECT row->>'id', $2, row->>'kind', row->>'queue', row->'body'
          FROM json_array_elements($1::json) WITH ORDINALITY AS rows(row, n)
         WHERE txid_current()::text = $4
         ORDER BY n
        RETURNING seq
      )
      SELECT (SELECT count(*) FROM added)::int AS added,
             (SELECT count(*) FROM (SELECT pg_notify($3, $2) FROM added LIMIT 1) AS sent)::int
               AS notified`;
  }

  /**
   * Takes up to `$2` committed rows of prefix `$1`, oldest first, locked for this transaction;
   * rows another relay holds are skipped, not waited for. `age_ms` is how long ago the row was
   * written, on the database's clock, so a delay counts from the enqueue.
   */
  get claim(): string {
    return `SELECT seq, id, kind, queue, body::text AS body,
               (extract(epoch FROM clock_timestamp() - created_at) * 1000)::float8 AS age_ms
          FROM ${this.table}
         WHERE prefix = $1
         ORDER BY seq
         LIMIT $2
           FOR UPDATE SKIP LOCKED`;
  }

  /** Deletes the relayed rows `$1` (their `seq`). */
  get remove(): string {
    return `DELETE FROM ${this.table} WHERE seq = ANY($1::bigint[])`;
  }
}
