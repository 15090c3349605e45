import { TaskAbortedError, TaskRateLimitedError } from '../errors/index.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import { ABORTED_REASON } from '../task-queue.constants.js';
import { workerMessages } from './worker.messages.js';

interface Held {
  id: string;
  open(): void;
  refuse(error: Error): void;
}

/**
 * @internal The start of a queue's runs in one process when its worker claims jobs ahead of its
 * free slots (`prefetch`): the backend hands over up to `concurrency + prefetch` jobs, each
 * locked to this worker as if it ran, and at most `concurrency` of them run at once; the others
 * wait here, in the order they were claimed. A held job that is aborted, or still held when the
 * worker shuts down or pauses the queue, is refused: it never starts.
 */
export class StartGate {
  private running = 0;
  private readonly held: Held[] = [];
  /** Why jobs no longer start (a shutdown), once it began. */
  private closed: string | undefined;
  /** Until when (ms since the epoch) this process paused the queue (`ctx.rateLimit()`). */
  private pausedUntil = 0;

  constructor(
    private readonly queue: string,
    private readonly slots: number,
  ) {}

  /** Jobs claimed and waiting for a slot. */
  get waiting(): number {
    return this.held.length;
  }

  /**
   * Resolves once job `id` may start, `true` when it waited for a slot first; rejects with the
   * reason it may not (aborted, shutdown, paused queue). A job let in must `leave` once it ends.
   */
  enter(id: string): Promise<boolean> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    if (this.running < this.slots && this.held.length === 0) {
      this.running += 1;
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve, reject) => {
      this.held.push({ id, open: () => resolve(true), refuse: reject });
    });
  }

  /** Frees the slot of a job that ended, for the next job held. */
  leave(): void {
    this.running -= 1;
    this.next();
  }

  /** Refuses job `id` if it is held here (it was aborted); whether it was. */
  abort(id: string): boolean {
    const at = this.held.findIndex((held) => held.id === id);
    if (at < 0) return false;
    const [held] = this.held.splice(at, 1);
    held.refuse(new TaskAbortedError(ABORTED_REASON));
    return true;
  }

  /** Jobs held from now on wait until `ms` have passed before they may start. */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Refuses every job held, and every job that comes, with `reason` (a shutdown). */
  close(reason: string): number {
    this.closed = reason;
    const refused = this.held.splice(0);
    // Last claimed first: each goes back to the front of its queue, so the first ends first.
    for (const held of refused.reverse()) held.refuse(new WorkerShutdownError(reason));
    return refused.length;
  }

  private next(): void {
    while (this.running < this.slots && this.held.length > 0) {
      const held = this.held.shift()!;
      const refusal = this.refusal();
      if (refusal) {
        held.refuse(refusal);
        continue;
      }
      this.running += 1;
      held.open();
    }
  }

  /** Why a job may not start now, if it may not. */
  private refusal(): Error | undefined {
    if (this.closed !== undefined) return new WorkerShutdownError(this.closed);
    const left = this.pausedUntil - Date.now();
    if (left > 0) {
      const seconds = left / 1000;
      return new TaskRateLimitedError(workerMessages.heldWhilePaused(this.queue, seconds), seconds);
    }
    return undefined;
  }
}
