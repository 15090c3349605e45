import { SessionTurns, turnEventLoop } from './pglite.turns.js';

/** What of a PGlite the session's turns look at and send. */
export interface TurnSession {
  readonly closed: boolean;
  isInTransaction(): boolean;
  exec(text: string): Promise<unknown>;
  query(text: string, params?: unknown[]): Promise<unknown>;
}

// One entry per PGlite, shared by every PGlitePool made over it: its transactions, turns and
// search_path are the session's, not a pool's. Weak, so a PGlite dropped by its owner goes.
const sessions = new WeakMap<TurnSession, PGliteSession>();

/**
 * @internal Who has the one session of a PGlite, for every PGlitePool over it (applications
 * sharing a PGlite, as a test's replicas do). With turns per pool, one pool's statement ran
 * inside another pool's open transaction: it took that transaction for its own (a client then
 * kept its pool's turn for good, and the pool's other statements, its close among them, waited
 * forever), or rolled it back as left open.
 */
export class PGliteSession {
  private readonly turns = new SessionTurns();
  private holder?: object;
  private endTurn?: () => void;
  private searchPath?: string;

  private constructor(private readonly db: TurnSession) {}

  static of(db: TurnSession): PGliteSession {
    let session = sessions.get(db);
    if (!session) sessions.set(db, (session = new PGliteSession(db)));
    return session;
  }

  /**
   * Runs `fn` in `owner`'s turn (`ahead` of the turns waiting), after the event loop has turned.
   * Without `keep`, a transaction left open is rolled back; with it, an open transaction keeps
   * the turn for `owner` until a statement of its own ends outside one.
   */
  async run<T>(owner: object, keep: boolean, fn: () => Promise<T>, ahead = false): Promise<T> {
    if (this.holder !== owner) {
      const endTurn = await this.turns.take(ahead);
      this.holder = owner;
      this.endTurn = endTurn;
    }
    const inTransaction = () => !this.db.closed && this.db.isInTransaction();
    try {
      await turnEventLoop();
      return await fn();
    } finally {
      try {
        if (!keep && inTransaction()) await this.db.exec('ROLLBACK');
      } finally {
        if (!keep || !inTransaction()) {
          const endTurn = this.endTurn;
          this.holder = this.endTurn = undefined;
          endTurn?.();
        }
      }
    }
  }

  /**
   * Sets `search_path` for the statements of this turn, when it is not the session's already:
   * pools over one PGlite may each name a schema of their own. Call it in a turn, outside a
   * transaction (a turn starts outside one, as the previous holder leaves none open).
   */
  async useSearchPath(searchPath: string | undefined): Promise<void> {
    if (searchPath === undefined || searchPath === this.searchPath) return;
    await this.db.query(`SELECT set_config('search_path', $1, false)`, [searchPath]);
    this.searchPath = searchPath;
  }
}
