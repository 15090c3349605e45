/**
 * What every contender's no-op job body calls: the bench measures from here, so the three
 * libraries are timed at the same point (the moment the job's code starts).
 */
export interface Counted {
  ms: number;
  /** CPU time this process used meanwhile (user + system), in µs. */
  cpuMicros: number;
}

/** A count of job starts: how many, and the time from the first to the last of them. */
export interface Started extends Counted {
  jobs: number;
  /** The database server's CPU time meanwhile, in µs, where `probe.serverCpu` can read it. */
  serverCpuMicros?: number;
}

class Probe {
  private seen = 0;
  private target = 0;
  private first = 0;
  private last = 0;
  private firstCpu?: NodeJS.CpuUsage;
  private firstServerCpu?: number;
  /** Reads the database server's CPU time so far (µs), where the bench can (bench/server-cpu.ts). */
  serverCpu?: () => number;
  private capMs?: number;
  private capTimer?: NodeJS.Timeout;
  private overdue = false;
  private onCount?: (started: Started) => void;
  private onCancel?: (reason: Error) => void;
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
    this.last = now;
    if (this.seen === 1) {
      this.first = now;
      this.firstCpu = process.cpuUsage();
      this.firstServerCpu = this.serverCpu?.();
      if (this.capMs !== undefined) this.capTimer = setTimeout(() => this.capped(), this.capMs);
    }
    if (this.seen === this.target || (this.overdue && this.seen >= 2)) this.settle();
  }

  /** At the cap: settles, or once a second job has started, since a rate needs two. */
  private capped(): void {
    if (this.seen >= 2) this.settle();
    else this.overdue = true;
  }

  private settle(): void {
    const done = this.onCount;
    this.stopCounting();
    const cpu = process.cpuUsage(this.firstCpu);
    const firstServer = this.firstServerCpu;
    const server = this.serverCpu && firstServer !== undefined ? this.serverCpu() : undefined;
    done?.({
      jobs: this.seen,
      ms: this.last - this.first,
      cpuMicros: cpu.user + cpu.system,
      ...(server !== undefined && { serverCpuMicros: server - firstServer! }),
    });
  }

  private stopCounting(): void {
    clearTimeout(this.capTimer);
    this.overdue = false;
    this.onCount = undefined;
    this.onCancel = undefined;
  }

  /** Resolves the time (and this process's CPU time) from the first to the `n`th job started. */
  count(n: number, timeoutMs: number): Promise<Counted> {
    return this.countUpTo(n, undefined, timeoutMs);
  }

  /**
   * Counts job starts until the `n`th, or until `capMs` after the first (when given; or the
   * second, if later), and resolves how many started and the time from the first to the last.
   */
  countUpTo(n: number, capMs: number | undefined, timeoutMs: number): Promise<Started> {
    this.stopCounting();
    this.seen = 0;
    this.target = n;
    this.capMs = capMs;
    const counted = new Promise<Started>((resolve, reject) => {
      this.onCount = resolve;
      this.onCancel = reject;
    });
    return bounded(counted, timeoutMs, `${n} jobs`).finally(() => this.stopCounting());
  }

  /** Ends the count under way, if any: its promise rejects with `reason`. */
  cancel(reason: string): void {
    const cancel = this.onCancel;
    this.stopCounting();
    cancel?.(new Error(reason));
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

/**
 * One job on an idle worker: from calling `add` to the job's code starting, in ms. It then
 * waits a little, so that the worker has finished the job and waits again before the next.
 */
export async function sampleLatency(add: () => Promise<unknown>): Promise<number> {
  const started = probe.next(10_000);
  const sent = performance.now();
  try {
    await add();
  } catch (error) {
    // No job to wait for: the wait's timeout must not reject later with no one listening.
    started.catch(() => undefined);
    throw error;
  }
  const at = await started;
  await new Promise((done) => setTimeout(done, 3));
  return at - sent;
}
