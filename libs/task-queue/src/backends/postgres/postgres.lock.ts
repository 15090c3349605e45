import { setTimeout as sleep } from 'node:timers/promises';
import type { PostgresSession } from './postgres.session.js';

/** How often a lock held by another process is tried again, in ms. */
const POLL_MS = 100;

/**
 * @internal Locks shared by every process: session-level advisory locks, held on the
 * application's one long-lived connection (a holder that dies frees its locks with its
 * session), so locking every queue at once opens no connection. A session may take a lock it
 * holds again, so the callers of this process take turns per lock before asking the server.
 */
export class PostgresLocks {
  /** Per lock, the end of the last turn of this process. */
  private readonly turns = new Map<string, Promise<void>>();

  constructor(private readonly session: PostgresSession) {}

  /**
   * Runs `work` holding the lock `key`. Returns `undefined` without running `work` once
   * `cancelled()` while waiting.
   */
  async run<T>(
    key: string,
    work: () => Promise<T>,
    cancelled: () => boolean,
  ): Promise<T | undefined> {
    const previous = this.turns.get(key) ?? Promise.resolve();
    let endTurn!: () => void;
    const mine = new Promise<void>((resolve) => (endTurn = resolve));
    const turn = previous.then(() => mine);
    this.turns.set(key, turn);
    await previous;
    try {
      return await this.holding(key, work, cancelled);
    } finally {
      endTurn();
      if (this.turns.get(key) === turn) this.turns.delete(key);
    }
  }

  private async holding<T>(
    key: string,
    work: () => Promise<T>,
    cancelled: () => boolean,
  ): Promise<T | undefined> {
    for (;;) {
      const client = await this.session.client();
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [key],
      );
      if (rows[0]?.locked) {
        try {
          return await work();
        } finally {
          // Fails if the connection dropped meanwhile: the lock went with it.
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
        }
      }
      if (cancelled()) return undefined;
      await sleep(POLL_MS);
    }
  }
}
