/** @internal A run as the deadlines see it: a deadline, its links in their list, how to end it. */
export interface TimedRun {
  /** When the run times out, in `performance.now()` ms; `Infinity`: no timeout. */
  deadline: number;
  /** Its neighbours in the list while it has a deadline. */
  prevTimed?: TimedRun;
  nextTimed?: TimedRun;
  /** Ends the run at its deadline. */
  timeOut(): void;
}

/** The longest delay `setTimeout` takes; a longer one would fire after 1 ms instead. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * @internal The deadlines of the runs going on in this process, watched by one timer set for
 * the earliest of them. A timer per run would cost a Timeout object and a ref and unref of
 * libuv's timer handle for every job, for a timeout that almost never fires; here a job links
 * itself into a list and out again (no hashing, no allocation), and the timer is re-armed only
 * when a run's deadline is earlier than the one it waits for, or when it fires. Unref'd: it
 * never keeps the process up.
 */
export class RunDeadlines {
  private head?: TimedRun;
  private count = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private armedFor = Infinity;

  /** Watches `run` until its `deadline` (finite) or until it is deleted. */
  add(run: TimedRun): void {
    run.nextTimed = this.head;
    if (this.head) this.head.prevTimed = run;
    this.head = run;
    this.count += 1;
    if (run.deadline < this.armedFor) this.arm(run.deadline);
  }

  /** Stops watching `run`, which then has no deadline; a no-op for a run without one. */
  delete(run: TimedRun): void {
    if (run.deadline === Infinity) return;
    run.deadline = Infinity;
    const { prevTimed: prev, nextTimed: next } = run;
    if (prev) prev.nextTimed = next;
    else this.head = next;
    if (next) next.prevTimed = prev;
    run.prevTimed = run.nextTimed = undefined;
    this.count -= 1;
  }

  /**
   * Clears the timer when no run has a deadline any more (it would otherwise stay armed,
   * unref'd, until the last deadline it was set for). Called when an application shuts down;
   * not after each run, which would cost a timer per job.
   */
  releaseIfIdle(): void {
    if (this.count > 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(deadline: number): void {
    clearTimeout(this.timer);
    this.armedFor = deadline;
    const delay = Math.min(
      MAX_TIMER_DELAY_MS,
      Math.max(1, Math.ceil(deadline - performance.now())),
    );
    this.timer = setTimeout(() => this.sweep(), delay);
    this.timer.unref();
  }

  /** Times out the runs whose deadline has come, and waits for the next one. */
  private sweep(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    const due: TimedRun[] = [];
    let next = Infinity;
    for (let run = this.head; run; run = run.nextTimed) {
      if (run.deadline <= now) due.push(run);
      else if (run.deadline < next) next = run.deadline;
    }
    if (next < Infinity) this.arm(next);
    // After the walk: a run's abort listeners run as it times out, and may change the list.
    for (const run of due) run.timeOut();
  }
}

/** @internal The one set of deadlines of this process's runs. */
export const deadlines = new RunDeadlines();
