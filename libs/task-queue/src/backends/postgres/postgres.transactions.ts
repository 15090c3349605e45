import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { quoteSchemaName, type PgPool, type PostgresQueueBackend } from 'bullmq';
import { InvalidOptionsError } from '../../errors/index.js';
import type { TaskTransaction } from '../../interfaces/task-transaction.interface.js';
import { transactionMessages } from '../../transactions/transaction.messages.js';
import { routeCommand } from './postgres.command-hook.js';
import { textOf } from './postgres.connection.js';
import { ADD_COMMANDS, guardedStatement, missedTransaction } from './postgres.transaction-sql.js';

/** The caller's transaction that BullMQ's add commands go through. */
interface Scope {
  transaction: TaskTransaction;
  /** The queues' schema, quoted. */
  schema: string;
}

/**
 * Around one BullMQ add call of a transactional enqueue: BullMQ builds the job's parameters
 * and sends its command, which our route sends through the caller's transaction instead.
 */
const scopes = new AsyncLocalStorage<Scope>();

/** A guarded add that ran outside the transaction it was given, and so added nothing. */
class MissedTransaction extends Error {}

/** The session setting that names a PGlite instance, for a transaction to be matched with. */
const INSTANCE_SETTING = 'task_queue.instance';

/** PostgreSQL's SQLSTATE for a statement in a transaction that an earlier failure aborted. */
const IN_FAILED_TRANSACTION = '25P02';

/**
 * @internal Sends BullMQ's add commands of `backend` through the caller's transaction when
 * they are sent inside {@link PostgresTransactions.run}, and as BullMQ would otherwise.
 */
export function routeAddsThroughTransactions(backend: PostgresQueueBackend): void {
  for (const command of ADD_COMMANDS) {
    routeCommand(backend, command, async (params, send) => {
      const scope = scopes.getStore();
      if (!scope) return send(params);
      const text = guardedStatement(command, scope.schema);
      const { rows } = await scope.transaction.query(text, [...params]);
      if (missedTransaction(command, rows)) throw new MissedTransaction();
      return { rows: rows as object[] };
    });
  }
}

type Identity = { db: string | null; job: string | null; started?: string; instance?: string };

/**
 * @internal Transactional enqueues on one PostgreSQL backend: checks the caller's transaction
 * (on the queues' database and schema, on PGlite of the queues' instance: once per object)
 * and runs a BullMQ add with its commands sent through it, each guarded to add nothing outside
 * a transaction (see `guardedStatement`).
 */
export class PostgresTransactions {
  /** Objects whose database was found to be the queues'. */
  private readonly checked = new WeakSet<object>();
  private instance?: Promise<string>;

  /**
   * @param db on PGlite, the instance itself: passed as a transaction, it would wait for the
   *   very transaction the caller has open.
   */
  constructor(
    private readonly kind: 'postgres' | 'pglite',
    private readonly pool: PgPool,
    private readonly db: object | undefined,
  ) {}

  /**
   * On PGlite, names its session (once, keeping a name another application on it gave), so a
   * transaction can be matched to it: called when the schema is ready, before any enqueue, as
   * no query of ours may wait inside a caller's transaction on the same PGlite.
   */
  nameInstance(): Promise<string> {
    return (this.instance ??= this.pool
      .query(
        `SELECT coalesce(nullif(current_setting('${INSTANCE_SETTING}', true), ''), ` +
          `set_config('${INSTANCE_SETTING}', $1, false)) AS instance`,
        [randomUUID()],
      )
      .then(({ rows }) => (rows[0] as { instance: string }).instance));
  }

  /** Runs `add` with BullMQ's add commands sent through `transaction`, in `schema`. */
  async run<T>(
    transaction: TaskTransaction,
    queue: string,
    schema: string,
    add: () => Promise<T>,
  ): Promise<T> {
    if (transaction === this.db) {
      throw new InvalidOptionsError(transactionMessages.wholeInstance(queue));
    }
    if ((transaction as { closed?: unknown }).closed === true) {
      throw new InvalidOptionsError(transactionMessages.notOpen(queue, 'it has ended'));
    }
    const table = `${quoteSchemaName(schema)}.job`;
    // The check gives the transaction its id: the add that follows finds one.
    if (!this.checked.has(transaction)) await this.check(transaction, queue, schema, table);
    const scope = { transaction, schema: quoteSchemaName(schema) };
    try {
      return await scopes.run(scope, add);
    } catch (error) {
      if (!(error instanceof MissedTransaction)) throw this.explain(error, queue);
    }
    // No id yet: a transaction that has written nothing so far, or none at all.
    await this.query(transaction, queue, 'SELECT txid_current()');
    try {
      return await scopes.run(scope, add);
    } catch (error) {
      throw this.explain(error, queue);
    }
  }

  /** Checks, on first use of `transaction`, that it is on the queues' database. */
  private async check(transaction: TaskTransaction, queue: string, schema: string, table: string) {
    const [theirs, ours] = await Promise.all([
      this.query(transaction, queue, `SELECT ${this.identitySql()}, txid_current()`, [table]),
      this.ownIdentity(table),
    ]);
    const problem = mismatch(theirs as Identity, ours, schema);
    if (problem) {
      throw new InvalidOptionsError(transactionMessages.otherDatabase(queue, ...problem));
    }
    this.checked.add(transaction);
  }

  /** A query of ours on the caller's transaction: its failure means the transaction is unusable. */
  private async query(
    transaction: TaskTransaction,
    queue: string,
    text: string,
    values?: unknown[],
  ): Promise<unknown> {
    try {
      return (await transaction.query(text, values)).rows[0];
    } catch (error) {
      throw this.explain(error, queue, textOf(error));
    }
  }

  private async ownIdentity(table: string): Promise<Identity> {
    if (this.kind === 'pglite') {
      return { db: 'pglite', job: null, instance: await this.nameInstance() };
    }
    const { rows } = await this.pool.query(`SELECT ${this.identitySql()}`, [table]);
    return rows[0] as Identity;
  }

  private identitySql(): string {
    const where = 'current_database() AS db, to_regclass($1::text)::oid::text AS job';
    return this.kind === 'pglite'
      ? `${where}, current_setting('${INSTANCE_SETTING}', true) AS instance`
      : `${where}, pg_postmaster_start_time()::text AS started`;
  }

  /** A failure of the caller's transaction, as what to pass instead; any other as it is. */
  private explain(error: unknown, queue: string, why?: string): unknown {
    if (error instanceof MissedTransaction) {
      const ended = 'it is not inside BEGIN, or has already committed or rolled back';
      return new InvalidOptionsError(transactionMessages.notOpen(queue, ended));
    }
    if ((error as { code?: unknown } | null)?.code === IN_FAILED_TRANSACTION) {
      const failed = 'a statement in it failed, so it can only roll back';
      return new InvalidOptionsError(transactionMessages.notOpen(queue, failed), { cause: error });
    }
    if (why === undefined) return error;
    return new InvalidOptionsError(transactionMessages.notOpen(queue, why), { cause: error });
  }
}

/** How `theirs` differs from `ours`, as [theirs, ours] for the message; none if alike. */
function mismatch(theirs: Identity, ours: Identity, schema: string): [string, string] | undefined {
  if (ours.instance !== undefined) {
    if (theirs.instance === ours.instance) return undefined;
    return ['another PGlite instance', 'the PGlite instance given to TaskQueueModule.forRoot'];
  }
  const queues = `database '${ours.db}' (schema '${schema}')`;
  if (theirs.db !== ours.db) return [`database '${theirs.db}'`, queues];
  if (theirs.started !== ours.started) return [`database '${theirs.db}' of another server`, queues];
  if (theirs.job !== ours.job) {
    return [`database '${theirs.db}', where schema '${schema}' has other tables`, queues];
  }
  return undefined;
}
