/**
 * BullMQ's commands that add jobs (`Queue.add`, `Queue.addBulk`, `FlowProducer.add`), by the
 * name its PostgreSQL backend sends them under.
 */
export const ADD_COMMANDS = ['add_job', 'add_jobs_bulk', 'add_flow'] as const;

export type AddCommand = (typeof ADD_COMMANDS)[number];

/**
 * BullMQ 6.7's statement of each add command (its comments and line breaks aside), whose
 * parameters {@link guardedStatement} takes as they are. A BullMQ internal, pinned by
 * postgres.transaction-sql.spec.ts: an upgrade that changes one fails it.
 */
export const BULLMQ_ADD_STATEMENTS: Record<AddCommand, string> = {
  add_job:
    'SELECT add_job( $1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 ) AS id;',
  add_jobs_bulk: 'SELECT id FROM add_jobs_bulk($1, $2::jsonb) AS t(id);',
  add_flow: 'SELECT id FROM add_flow($1::jsonb) AS t(id);',
};

/**
 * True only in a transaction that has an id already, so never in a statement sent outside
 * BEGIN (its own transaction, which has written nothing when this is read): only a
 * transaction that has written, or been given its id, has one.
 */
const IN_TRANSACTION = 'pg_current_xact_id_if_assigned() IS NOT NULL';

/**
 * @internal BullMQ's statement of `command`, for the caller's connection, with BullMQ's
 * parameters: its function named with the queues' schema (BullMQ's own connections select it
 * with `search_path`; the functions pin their own), and guarded by {@link IN_TRANSACTION}.
 * Outside a transaction (a client after its COMMIT, or never inside BEGIN), or in one that has
 * no id yet, nothing is added: `add_job` answers a `NULL` id, the others no row.
 * @param schema the schema, quoted as an identifier.
 */
export function guardedStatement(command: AddCommand, schema: string): string {
  switch (command) {
    case 'add_job':
      return (
        `SELECT CASE WHEN ${IN_TRANSACTION} THEN ${schema}.add_job($1, $2, $3, $4::jsonb, ` +
        `$5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) END AS id`
      );
    case 'add_jobs_bulk':
      return (
        `SELECT id FROM ${schema}.add_jobs_bulk($1, CASE WHEN ${IN_TRANSACTION} ` +
        `THEN $2::jsonb ELSE '[]'::jsonb END) AS t(id)`
      );
    case 'add_flow':
      return (
        `SELECT id FROM ${schema}.add_flow(CASE WHEN ${IN_TRANSACTION} ` +
        `THEN $1::jsonb ELSE '[]'::jsonb END) AS t(id)`
      );
  }
}

/** @internal Whether a guarded statement's rows say it ran outside a transaction with an id. */
export function missedTransaction(command: AddCommand, rows: readonly unknown[]): boolean {
  if (command !== 'add_job') return rows.length === 0;
  return (rows[0] as { id?: unknown } | undefined)?.id == null;
}
