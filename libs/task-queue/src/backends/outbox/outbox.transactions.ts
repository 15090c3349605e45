import { InvalidOptionsError } from '../../errors/index.js';
import type { TaskTransaction } from '../../interfaces/task-transaction.interface.js';
import { transactionMessages } from '../../transactions/transaction.messages.js';
import type { OutboxConnection } from './outbox.connection.js';
import { outboxMessages } from './outbox.messages.js';

/** PostgreSQL's SQLSTATE for a statement in a transaction that an earlier failure aborted. */
const IN_FAILED_TRANSACTION = '25P02';

interface Identity {
  database: string;
  started: string;
  present?: boolean;
  xid?: string;
}

/**
 * @internal The caller's transactions as the outbox writes through them: checked, on first use
 * of each object, to be on the outbox's database (same server, table there), and tracked by the
 * id of the transaction each object was last found in, which the insert checks it runs in (a
 * pooled client outlives many transactions, and outside BEGIN every statement is one).
 */
export class OutboxTransactions {
  private readonly checked = new WeakSet<object>();
  private readonly xids = new WeakMap<object, string>();
  private own?: Promise<Identity>;

  constructor(private readonly connection: OutboxConnection) {}

  /**
   * Runs `insert` with the id of `transaction`'s transaction; `insert` answers whether it ran
   * inside it. A stale id (the object is in a new transaction) is read again once.
   * @throws InvalidOptionsError when the transaction is not open or not on the outbox's database.
   */
  async run(
    queue: string,
    transaction: TaskTransaction,
    insert: (xid: string) => Promise<boolean>,
  ): Promise<void> {
    if ((transaction as { closed?: unknown }).closed === true) {
      throw new InvalidOptionsError(transactionMessages.notOpen(queue, 'it has ended'));
    }
    let xid = this.xids.get(transaction);
    let fresh = xid === undefined;
    xid ??= await this.open(queue, transaction);
    for (;;) {
      if (await insert(xid).catch((error: unknown) => this.explain(error, queue))) return;
      if (fresh) {
        const why = 'it is not inside BEGIN, or has already committed or rolled back';
        throw new InvalidOptionsError(transactionMessages.notOpen(queue, why));
      }
      xid = await this.open(queue, transaction);
      fresh = true;
    }
  }

  /** The id of `transaction`'s transaction, after checking where it is on first use. */
  private async open(queue: string, transaction: TaskTransaction): Promise<string> {
    const read = async (sql: string) => {
      const { rows } = await transaction.query(sql).catch((e: unknown) => this.explain(e, queue));
      return rows[0] as Identity & { xid: string };
    };
    if (this.checked.has(transaction)) {
      const { xid } = await read('SELECT txid_current()::text AS xid');
      this.xids.set(transaction, xid);
      return xid;
    }
    const [theirs, ours] = await Promise.all([
      read(this.connection.sql.identity),
      (this.own ??= this.ownIdentity()),
    ]);
    const where = `Queue '${queue}'`;
    const server = theirs.started === ours.started ? '' : ' of another server';
    if (theirs.database !== ours.database || server) {
      throw new InvalidOptionsError(
        outboxMessages.otherDatabase(where, `${theirs.database}'${server}`, ours.database),
      );
    }
    if (!theirs.present) {
      const { schema } = this.connection.sql;
      throw new InvalidOptionsError(outboxMessages.noOutboxTable(where, theirs.database, schema));
    }
    this.checked.add(transaction);
    this.xids.set(transaction, theirs.xid);
    return theirs.xid;
  }

  private ownIdentity(): Promise<Identity> {
    const sql =
      'SELECT current_database() AS database, pg_postmaster_start_time()::text AS started';
    const read = this.connection.query(sql).then(({ rows }) => rows[0] as Identity);
    read.catch(() => (this.own = undefined));
    return read;
  }

  /** A failed transaction's error as what to do instead; any other error as it is. */
  private explain(error: unknown, queue: string): never {
    if ((error as { code?: unknown } | null)?.code === IN_FAILED_TRANSACTION) {
      const why = 'a statement in it failed, so it can only roll back';
      throw new InvalidOptionsError(transactionMessages.notOpen(queue, why), { cause: error });
    }
    throw error;
  }
}
