// A clock for the specs of one-off timers (`@Cron(date)`): it runs with the system's, and a test
// moves it ahead to make a time come at once instead of waiting for it.
import { ProcessClock } from '../../libs/task-queue/src/scheduling/process-clock.js';

interface Armed {
  /** When it is due, in this clock's time. */
  due: number;
  run: () => void;
  /** The system timer that fires it now; replaced when the clock moves ahead. */
  timer: NodeJS.Timeout;
}

/** Give it to an application with `overrideProvider(ProcessClock).useValue(clock)`. */
export class AdvancingClock extends ProcessClock {
  private ahead = 0;
  // By the handle the library holds: the first system timer, kept as the key when re-armed.
  private readonly armed = new Map<NodeJS.Timeout, Armed>();

  now(): number {
    return Date.now() + this.ahead;
  }

  setTimeout(run: () => void, ms: number): NodeJS.Timeout {
    const handle: NodeJS.Timeout = setTimeout(() => this.fire(handle), ms);
    this.armed.set(handle, { due: this.now() + ms, run, timer: handle });
    return handle;
  }

  clearTimeout(handle: NodeJS.Timeout): void {
    const armed = this.armed.get(handle);
    if (armed) clearTimeout(armed.timer);
    this.armed.delete(handle);
  }

  /** Moves the clock `ms` ahead: what is due by then runs now, the rest that much sooner. */
  advance(ms: number): void {
    this.ahead += ms;
    for (const [handle, armed] of this.armed) {
      clearTimeout(armed.timer);
      armed.timer = setTimeout(() => this.fire(handle), Math.max(0, armed.due - this.now()));
    }
  }

  private fire(handle: NodeJS.Timeout): void {
    const armed = this.armed.get(handle);
    if (!armed) return;
    this.armed.delete(handle);
    armed.run();
  }
}
