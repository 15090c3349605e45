/**
 * What every contender's no-op job body calls: the bench measures from here, so the three
 * libraries are timed at the same point (the moment the job's code starts).
 */
export interface Counted {
  ms: number;
  /** CPU time this process used meanwhile (user + system), in µs. */
  cpuMicros: number;
}

class Probe {
  private seen = 0;
  private target = 0;
  private first = 0;
  private firstCpu?: NodeJS.CpuUsage;
  private onCount?: (counted: Counted) => void;
  private onNext?: (at: number) => void;

  hit(): void {
    const now = performance.now();
    const next = this.onNext;
    if (next) {
      this.onNext = undefined;
      next(now);
    }
    if (!this.onCount) return;
    this.seen += 1;
    if (this.seen === 1) {
      this.first = now;
      this.firstCpu = process.cpuUsage();
    }
    if (this.seen === this.target) {
      const done = this.onCount;
      this.onCount = undefined;
      const cpu = process.cpuUsage(this.firstCpu);
      done({ ms: now - this.first, cpuMicros: cpu.user + cpu.system });
    }
  }

  /** Resolves the time (and this process's CPU time) from the first to the `n`th job started. */
  count(n: number, timeoutMs: number): Promise<Counted> {
    this.seen = 0;
    this.target = n;
    return bounded(new Promise((resolve) => (this.onCount = resolve)), timeoutMs, `${n} jobs`);
  }

  /** Resolves the `performance.now()` at which the next job starts. */
  next(timeoutMs: number): Promise<number> {
    return bounded(new Promise((resolve) => (this.onNext = resolve)), timeoutMs, 'a job start');
  }
}

export const probe = new Probe();

/** Rejects if `promise` has not settled within `ms`: no bench step can hang. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Bench timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
