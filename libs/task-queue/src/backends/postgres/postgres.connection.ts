import type { PgPool, PgPoolClient } from 'bullmq';
import type { Reachability } from '../../observability/backend-health.js';

/** How one PostgreSQL backend opens its connections, per kind of `connection`. */
export interface PostgresSetup {
  kind: 'postgres' | 'pglite';
  /** The pool every query goes through. */
  pool: PgPool;
  /** Opens a connection of its own for a long-lived LISTEN (released = closed). */
  listenClient(): Promise<PgPoolClient>;
  keepAlive: boolean;
  /** The schema, or `undefined` to read it from the pool's `search_path`. */
  schema: string | undefined;
  /** Run BullMQ's migrations before first use (else only check the schema is current). */
  migrate: boolean;
  /** On PGlite, the instance (which must not be taken for a transaction on it). */
  db?: object;
  /** Closes what this backend opened (the pool, the PGlite), not what the user gave. */
  close(): Promise<void>;
}

/**
 * @internal Whether the pool answers a trivial query within `timeoutMs`, or (`wait`) whenever
 * it answers.
 */
export async function answersQuery(
  pool: PgPool,
  timeoutMs: number,
  wait: boolean,
): Promise<Reachability> {
  const answer = pool.query('SELECT 1').then(
    (): Reachability => ({ reachable: true }),
    (error: unknown): Reachability => ({ reachable: false, error: textOf(error) }),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Reachability>((resolve) => {
    timer = setTimeout(
      () => resolve({ reachable: false, error: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    return await (wait ? answer : Promise.race([answer, late]));
  } finally {
    clearTimeout(timer);
  }
}

/** @internal The message of a thrown value, whatever was thrown. */
export const textOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
