import type { LoggerService } from '@nestjs/common';
import { backendMessages } from './backend.messages.js';

/** How often an outage that goes on is mentioned again, at most, in ms. */
const REMINDER_MS = 60_000;

/**
 * @internal The one place that reports the outages of one backend. Every connection of the
 * backend (each BullMQ queue, worker, event stream, the clients and pools behind them) hands
 * its connection errors here; clients retrying every few milliseconds would otherwise write
 * a dozen identical lines a second. It writes one line when an outage starts, at most one
 * reminder a minute while it lasts, and one line with its length when the backend answers
 * again; then it tells whoever waits for that (the scheduler reconciles its schedules).
 */
export class BackendOutage {
  private startedAt?: number;
  private remindedAt = 0;
  /** The message of the last connection error reported, if any. */
  lastError?: string;
  private readonly starts = new Set<() => void>();
  private readonly ends = new Set<() => void>();

  /**
   * @param where the backend and where it is, without a password (`Redis at redis://…`).
   * @param now the clock, in ms.
   */
  constructor(
    private readonly logger: LoggerService,
    readonly where: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether an outage is under way: a connection failed and none has answered since. */
  get ongoing(): boolean {
    return this.startedAt !== undefined;
  }

  /** A connection of the backend failed (`source` says which, for the first line). */
  failed(source: string, error: Error): void {
    const now = this.now();
    this.lastError = error.message;
    if (this.startedAt === undefined) {
      this.startedAt = now;
      this.remindedAt = now;
      this.logger.error(backendMessages.outageStarted(this.where, source, error.message));
      for (const listener of [...this.starts]) listener();
      return;
    }
    if (now - this.remindedAt < REMINDER_MS) return;
    this.remindedAt = now;
    this.logger.warn(
      backendMessages.outageGoesOn(this.where, (now - this.startedAt) / 1000, error.message),
    );
  }

  /** A connection of the backend answers (again): ends the outage, if there was one. */
  reachable(): void {
    if (this.startedAt === undefined) return;
    const seconds = (this.now() - this.startedAt) / 1000;
    this.startedAt = undefined;
    this.logger.log(backendMessages.outageEnded(this.where, seconds));
    for (const listener of [...this.ends]) listener();
  }

  /** Calls `listener` each time an outage starts; returns a function to stop that. */
  onStart(listener: () => void): () => void {
    this.starts.add(listener);
    return () => this.starts.delete(listener);
  }

  /**
   * A connection that was up before is up again: ends the outage if there was one, and tells
   * those waiting for the backend to come back even if none was reported (a server restarted
   * in a blink drops its connections without any failed reconnect).
   */
  reconnected(): void {
    if (this.startedAt !== undefined) return this.reachable();
    for (const listener of [...this.ends]) listener();
  }

  /**
   * Calls `listener` each time the backend is back: an outage ended, or a dropped connection
   * is up again. Returns a function to stop that.
   */
  onBack(listener: () => void): () => void {
    this.ends.add(listener);
    return () => this.ends.delete(listener);
  }
}
