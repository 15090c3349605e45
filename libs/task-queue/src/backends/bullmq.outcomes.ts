import type { QueueEvents } from 'bullmq';
import { TaskWaitTimeoutError } from '../errors/index.js';
import { taskFailed } from '../producer/job-outcome.js';
import { waitMessages } from '../producer/wait-timeout.messages.js';

/** @internal A finished job, as an event or a read of its state gives it. */
export type FinishedJob =
  | { id: string; failed: false; /** The return value. */ value: unknown }
  | { id: string; failed: true; /** The failure's message. */ reason: string };

/** @internal Reads which of `ids` have finished, in one go (the backend's bulk read). */
export type ReadFinished = (ids: string[]) => Promise<FinishedJob[]>;

/**
 * @internal The errors of the waits for `jobs` that ran out after `seconds`, in order, saying
 * what could be read of them and their queue. Never rejects.
 */
export type ExplainTimeout = (
  jobs: { id: string; name: string }[],
  seconds: number,
  method: 'apply' | 'map',
) => Promise<Error[]>;

/** @internal Tells of the backend's closing: the listener runs once it begins; returns a stop. */
export interface BackendClosing {
  onClosing(listener: () => void): () => void;
}

interface Waiter {
  name: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Ids read per bulk check of unfinished jobs. */
const CHECK_BATCH = 1000;

/**
 * @internal The outcomes of the jobs of one queue that `apply` and `map` wait for: one listener
 * per event kind on the queue's shared event stream, whatever the number of jobs and calls,
 * dispatched by job id (attached while anything is awaited);
 * one timer per batch; and one bulk read of the jobs still unfinished every `checkMs`, since
 * an event stream can miss events (BullMQ's PostgreSQL stream pages by id, and ids of
 * concurrent transactions commit out of order; a Redis stream is trimmed to its last 10 000
 * events, which a large batch can outrun).
 */
export class JobOutcomes {
  private readonly waiting = new Map<string, Waiter>();
  /** Outcomes heard while a batch is being added, before its ids are known. */
  private early?: Map<string, FinishedJob>;
  private adding = 0;
  private checker?: NodeJS.Timeout;
  private checking = false;
  private stopHearingClose?: () => void;

  constructor(
    private readonly backend: BackendClosing,
    private readonly events: QueueEvents,
    private readonly readFinished: ReadFinished,
    private readonly checkMs: number,
    private readonly explainTimeout: ExplainTimeout,
  ) {}

  /**
   * Adds jobs with `add` and waits up to `timeoutMs` for each: one promise per job, in order,
   * resolving its result or rejecting with a `TaskFailedError`, or a `TaskWaitTimeoutError`
   * once the wait runs out (or the queue closes).
   */
  async addAndWait(
    add: () => Promise<{ id?: string; name: string }[]>,
    timeoutMs: number,
    method: 'apply' | 'map',
  ): Promise<Promise<unknown>[]> {
    if (this.adding++ === 0) {
      this.early = new Map();
      this.listen();
    }
    let jobs: { id?: string; name: string }[];
    try {
      jobs = await add();
    } catch (error) {
      this.added();
      throw error;
    }
    const promises = jobs.map(
      ({ id, name }) =>
        new Promise<unknown>((resolve, reject) => this.waiting.set(id!, { name, resolve, reject })),
    );
    for (const { id } of jobs) {
      const outcome = this.early!.get(id!);
      if (outcome) this.settle(outcome);
    }
    this.added();
    const ids = jobs.map(({ id }) => id!);
    const timer = setTimeout(() => void this.timeOut(ids, timeoutMs, method), timeoutMs);
    void Promise.allSettled(promises).then(() => clearTimeout(timer));
    return promises;
  }

  private added(): void {
    if (--this.adding === 0) this.early = undefined;
    if (this.adding === 0 && this.waiting.size === 0) this.unlisten();
  }

  private readonly onCompleted = ({
    jobId,
    returnvalue,
  }: {
    jobId: string;
    returnvalue: unknown;
  }) => this.heard({ id: jobId, failed: false, value: returnvalue });

  private readonly onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) =>
    this.heard({ id: jobId, failed: true, reason: failedReason });

  private readonly onClosing = () => {
    for (const [id, waiter] of this.waiting) {
      waiter.reject(new TaskWaitTimeoutError(waitMessages.waitInterrupted(waiter.name, id), id));
    }
    this.waiting.clear();
    this.unlisten();
  };

  private heard(outcome: FinishedJob): void {
    if (this.waiting.has(outcome.id)) this.settle(outcome);
    else this.early?.set(outcome.id, outcome);
  }

  private settle(outcome: FinishedJob): void {
    const { id } = outcome;
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    if (outcome.failed) waiter.reject(taskFailed(waiter.name, id, outcome.reason));
    else waiter.resolve(outcome.value ?? null);
    if (this.waiting.size === 0 && this.adding === 0) this.unlisten();
  }

  private listen(): void {
    if (this.checker) return;
    this.events.on('completed', this.onCompleted);
    this.events.on('failed', this.onFailed);
    // The backend's own word: BullMQ's Queue emits no 'closing' (only its Worker does).
    this.stopHearingClose = this.backend.onClosing(this.onClosing);
    this.checker = setInterval(() => void this.check([...this.waiting.keys()]), this.checkMs);
  }

  private unlisten(): void {
    if (!this.checker) return;
    clearInterval(this.checker);
    this.checker = undefined;
    this.events.off('completed', this.onCompleted);
    this.events.off('failed', this.onFailed);
    this.stopHearingClose?.();
    this.stopHearingClose = undefined;
  }

  /** Reads the state of `ids` still awaited, in batches, and settles those that finished. */
  private async check(ids: string[]): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (let start = 0; start < ids.length; start += CHECK_BATCH) {
        const batch = ids.slice(start, start + CHECK_BATCH).filter((id) => this.waiting.has(id));
        if (batch.length)
          for (const outcome of await this.readFinished(batch)) this.settle(outcome);
      }
    } catch {
      // The backend is unreachable: the next check, or the timeout, will tell.
    } finally {
      this.checking = false;
    }
  }

  /**
   * The wait of a batch ran out: a last read, then the unfinished ones time out, each with
   * what could be read of it and its queue.
   */
  private async timeOut(ids: string[], timeoutMs: number, method: 'apply' | 'map'): Promise<void> {
    let pending = ids.filter((id) => this.waiting.has(id));
    if (!pending.length) return;
    await this.readFinished(pending)
      .then((finished) => finished.forEach((outcome) => this.settle(outcome)))
      .catch(() => undefined);
    pending = pending.filter((id) => this.waiting.has(id));
    const jobs = pending.map((id) => ({ id, name: this.waiting.get(id)!.name }));
    const errors = await this.explainTimeout(jobs, timeoutMs / 1000, method);
    pending.forEach((id, index) => {
      const waiter = this.waiting.get(id);
      if (!waiter) return;
      this.waiting.delete(id);
      waiter.reject(errors[index]);
    });
    if (this.waiting.size === 0 && this.adding === 0) this.unlisten();
  }
}
