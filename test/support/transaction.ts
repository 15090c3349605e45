// Transactions the way an application opens them, per backend: a node-postgres client after
// BEGIN on PostgreSQL, `db.transaction()` on the spec's PGlite.
import type { PGlite, Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import type { TaskTransaction } from '@app/task-queue';
import type { TestBackend } from './backend.js';
import { inPgTransaction } from './pg-transaction.js';
import { TEST_DATABASE_URL } from './postgres.js';

export type Outcome = 'commit' | 'rollback';

/** Opens transactions on the database of `backend` (PostgreSQL or PGlite). */
export interface Transactions {
  /** Runs `work` in a new transaction, then commits or rolls it back; returns what it returned. */
  run<T>(outcome: Outcome, work: (tx: TaskTransaction) => Promise<T>): Promise<T>;
  /** A transaction that has ended (committed), of the kind `run` gives. */
  ended(): Promise<TaskTransaction>;
  close(): Promise<void>;
}

export function transactionsOf(backend: TestBackend): Transactions {
  if (backend.kind === 'pglite') {
    const db = () => (backend.connection as { pglite: PGlite }).pglite;
    return {
      run: async (outcome, work) => {
        let result: Awaited<ReturnType<typeof work>> | undefined;
        await db().transaction(async (tx: Transaction) => {
          result = await work(tx);
          if (outcome === 'rollback') await tx.rollback();
        });
        return result!;
      },
      ended: async () => {
        let kept: Transaction | undefined;
        await db().transaction(async (tx) => void (kept = tx));
        return kept!;
      },
      close: async () => undefined,
    };
  }
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
  const clients: pg.Client[] = [];
  return {
    run: (outcome, work) =>
      inPgTransaction(pool, work, outcome === 'commit' ? 'COMMIT' : 'ROLLBACK'),
    ended: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      clients.push(client);
      await client.connect();
      await client.query('BEGIN');
      await client.query('COMMIT');
      return client;
    },
    close: async () => {
      await Promise.all(clients.splice(0).map((client) => client.end()));
      await pool.end();
    },
  };
}
