/**
 * @internal Turns on the one session of a PGlite, in order of asking. A turn asked for `ahead`
 * goes before the turns already waiting (after the other turns asked ahead): a LISTEN, which on
 * PostgreSQL runs at once on a connection of its own, does not wait behind other clients'
 * statements.
 */
export class SessionTurns {
  private taken = false;
  private readonly waiting: Array<() => void> = [];
  private waitingAhead = 0;

  /** Resolves once the session is free, with the function that ends the turn. */
  take(ahead = false): Promise<() => void> {
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.next();
    };
    if (!this.taken) {
      this.taken = true;
      return Promise.resolve(end);
    }
    return new Promise((resolve) => {
      const start = () => resolve(end);
      if (ahead) this.waiting.splice(this.waitingAhead++, 0, start);
      else this.waiting.push(start);
    });
  }

  private next(): void {
    const start = this.waiting.shift();
    if (!start) {
      this.taken = false;
      return;
    }
    if (this.waitingAhead > 0) this.waitingAhead--;
    start();
  }
}

/**
 * @internal Lets the event loop turn (timers, I/O) before the caller goes on. A PGlite query
 * runs inside the process and resolves without the event loop turning: a loop of queries would
 * otherwise keep every timer and socket of the process waiting for as long as it runs.
 */
export const turnEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
