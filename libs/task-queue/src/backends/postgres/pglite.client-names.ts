import { randomUUID } from 'node:crypto';

type Params = readonly unknown[];
type Run = (text: string, params?: Params) => Promise<{ rows: unknown[] }>;

/** How node-postgres users, and BullMQ (setListenClientName), name their connection. */
const SET_NAME =
  /^\s*SELECT\s+set_config\s*\(\s*'application_name'\s*,\s*\$1\s*,\s*false\s*\)\s*;?\s*$/i;

// The session's temporary schema comes before pg_catalog for a name that is not qualified
// (unless search_path lists pg_temp): the view stands in for the catalog's. Its rows are the
// catalog's (the session's own) plus a copy of the session's row per named client.
const SETUP = `
CREATE TEMP TABLE IF NOT EXISTS pglite_pool_clients (client text PRIMARY KEY, name text NOT NULL);
CREATE OR REPLACE TEMP VIEW pg_stat_activity AS
  SELECT * FROM pg_catalog.pg_stat_activity
  UNION ALL
  SELECT (jsonb_populate_record(a, jsonb_build_object('application_name', left(c.name, 63)))).*
    FROM pg_catalog.pg_stat_activity a CROSS JOIN pg_temp.pglite_pool_clients c
   WHERE a.pid = pg_backend_pid();
`;

const NAME = `INSERT INTO pg_temp.pglite_pool_clients (client, name) VALUES ($1, coalesce($2::text, ''))
  ON CONFLICT (client) DO UPDATE SET name = excluded.name RETURNING name AS set_config`;

const FORGET = `DELETE FROM pg_temp.pglite_pool_clients WHERE client = ANY ($1::text[])`;

/**
 * @internal `application_name` per client of a PGlitePool, as PostgreSQL keeps it per
 * connection and lists one row per connection in `pg_stat_activity`. BullMQ names the LISTEN
 * connection of each worker and QueueEvents so, and its `getWorkers()` / `getQueueEvents()` list
 * the names found there (its get_client_list.sql): on the one session of a PGlite only the last
 * name would be found. A client's `set_config('application_name', $1, false)` is kept instead as
 * a row of a temporary table, which a temporary view named `pg_stat_activity` lists beside the
 * session's own row, until the client is released. Rolled back with the client's transaction,
 * as the setting would be. Pinned by the spec's getWorkers test against BullMQ's SQL.
 */
export class PGliteClientNames {
  private readonly ids = new WeakMap<object, string>();
  private readonly named = new Set<string>();
  private setUp = false;

  /** Whether `text` names the client's connection (only the form above is recognised). */
  isNaming(text: string, params?: Params): boolean {
    return params?.length === 1 && SET_NAME.test(text);
  }

  /** Names `client`, in its turn on the session; answers as `set_config` does. */
  async name(client: object, name: unknown, run: Run): Promise<{ rows: unknown[] }> {
    if (!this.setUp) {
      await run(SETUP);
      this.setUp = true;
    }
    let id = this.ids.get(client);
    if (!id) this.ids.set(client, (id = randomUUID()));
    this.named.add(id);
    return run(NAME, [id, name]);
  }

  /** Forgets the name of `client` (released), in a turn on the session. */
  async forget(client: object, run: Run): Promise<void> {
    const id = this.ids.get(client);
    if (id !== undefined && this.named.delete(id)) await run(FORGET, [[id]]);
  }

  /** Forgets every name this pool gave (the pool ends). */
  async forgetAll(run: Run): Promise<void> {
    const gone = [...this.named];
    this.named.clear();
    if (gone.length) await run(FORGET, [gone]);
  }
}
