import type { Queue } from 'bullmq';
import type { QueuePauses } from '../worker/run-control.js';

/**
 * The queue-wide limiter max a `ctx.rateLimit()` pause engages on a queue without `rateLimit`.
 * BullMQ reads a pause (its rate-limit key) only where a limiter has a max; a max kept in the
 * queue's metadata reaches every worker of every process at once, where a worker option would
 * have to be set on all of them from the start. No queue reaches this many starts in a window;
 * the PostgreSQL backend keeps the max in an `integer`. Pinned by test/flow-control.e2e-spec.ts
 * (the queue's global rate limit read back, and the pause honoured), on every backend.
 */
export const PAUSE_MAX = 2_147_483_647;

/** The window BullMQ requires with a queue-wide max, in ms: never filled, see PAUSE_MAX. */
const PAUSE_WINDOW_MS = 1000;

/** How long after a pause should have ended it is checked, in ms: clocks of processes differ. */
const SETTLE_MS = 50;

/** How long before a release that failed (the backend unreachable) is tried again, in ms. */
const PAUSE_RELEASE_RETRY_MS = 5000;

/**
 * @internal The `ctx.rateLimit()` pauses of one queue. Workers of a queue with `rateLimit` have
 * a BullMQ limiter and honour a pause by themselves. Workers of any other queue run without
 * one, since a limiter makes BullMQ's PostgreSQL backend lock and count every job it starts: a
 * pause there also writes {@link PAUSE_MAX} into the queue's metadata, and the metadata is
 * cleared once no pause is left, so the per-job cost lasts only as long as the pause.
 */
export class QueuePause implements QueuePauses {
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly queue: Queue,
    /** Whether this queue's workers have a limiter of their own (the queue has `rateLimit`). */
    private readonly limited: boolean,
    private readonly onError: (error: Error, retryMs: number) => void,
  ) {}

  /** Pauses the queue for `ms` in every process. */
  async pause(ms: number): Promise<void> {
    // The key first, then the max that makes every worker read it: a release in between
    // sees the key and leaves the max in place.
    await this.queue.rateLimit(ms);
    if (this.limited) return;
    // A queue-wide limit set by hand (BullMQ's setGlobalRateLimit) already makes every worker
    // read the pause: it stays as it is.
    const limit = await this.queue.getGlobalRateLimit();
    if (limit && limit.max !== PAUSE_MAX) return;
    await this.queue.setGlobalRateLimit(PAUSE_MAX, PAUSE_WINDOW_MS);
    this.checkIn(ms);
  }

  /**
   * Removes the queue-wide max once no pause is left; while one is, checks again when it ends.
   * Also run when a worker starts, for a max left by a process that stopped during a pause.
   * A max set another way (BullMQ's `setGlobalRateLimit` by hand) is left alone.
   */
  async release(): Promise<void> {
    const limit = await this.queue.getGlobalRateLimit();
    if (limit?.max !== PAUSE_MAX) return;
    let left = await this.queue.getRateLimitTtl(PAUSE_MAX);
    if (left <= 0) {
      await this.queue.removeGlobalRateLimit();
      // A pause that began between the check and the removal: put its max back. Workers
      // elsewhere may have started a job in that moment; it gets the upstream's answer again.
      left = await this.queue.getRateLimitTtl(PAUSE_MAX);
      if (left > 0) await this.queue.setGlobalRateLimit(PAUSE_MAX, PAUSE_WINDOW_MS);
    }
    if (left > 0) this.checkIn(left);
  }

  /** Stops checking; a pause still on is released by the next worker to start. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private checkIn(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.release().catch((error: Error) => {
        this.onError(error, PAUSE_RELEASE_RETRY_MS);
        this.checkIn(PAUSE_RELEASE_RETRY_MS);
      });
    }, ms + SETTLE_MS);
    this.timer.unref();
  }
}
