import { ABORTED_REASON } from '../task-queue.constants.js';
import type { StartGate } from './start-gate.js';
import type { TaskRun } from './task-run.js';

/** How long an abort request for a job this process has not started yet is remembered, in ms. */
const PENDING_ABORT_MS = 60_000;

const pendingKey = (queue: string, id: string) => `${queue}\n${id}`;

/**
 * @internal The jobs running in this process, by queue and id, so that an abort request (from
 * any process) or the end of a shutdown's grace period can cancel them; and abort requests
 * that arrived just before their job started here.
 */
export class ActiveRuns {
  private readonly runs = new Map<string, Map<string, TaskRun>>();
  private readonly pending = new Map<string, number>();
  /** Per queue, where its jobs claimed ahead wait for a slot. */
  private readonly gates = new Map<string, StartGate>();

  /** The runs of queue `name`, where its processor registers each run while it lasts. */
  on(name: string): Map<string, TaskRun> {
    let runs = this.runs.get(name);
    if (!runs) {
      runs = new Map();
      this.runs.set(name, runs);
    }
    return runs;
  }

  /** Where the jobs of `queue` claimed ahead of its free slots wait for one. */
  gate(queue: string, gate: StartGate): void {
    this.gates.set(queue, gate);
  }

  /**
   * Cancels job `id` of `queue` if it runs here, refuses it if it waits for a slot here, else
   * remembers the request for a while.
   */
  abort(queue: string, id: string): void {
    const run = this.runs.get(queue)?.get(id);
    if (run) run.cancel(ABORTED_REASON);
    else if (!this.gates.get(queue)?.abort(id)) {
      this.pending.set(pendingKey(queue, id), Date.now() + PENDING_ABORT_MS);
    }
  }

  /** Refuses, with `reason`, the jobs waiting for a slot and any claimed from now on. */
  closeGates(reason: string): void {
    for (const gate of this.gates.values()) gate.close(reason);
  }

  /**
   * Whether job `id` of `queue` was asked to abort before it started here (the request is used
   * up). Ids are per queue: job 3 of another queue is another job.
   */
  abortRequested(queue: string, id: string): boolean {
    if (this.pending.size === 0) return false;
    const now = Date.now();
    for (const [pending, expires] of this.pending) {
      if (expires < now) this.pending.delete(pending);
    }
    return this.pending.delete(pendingKey(queue, id));
  }

  /** Cancels every run of this process; returns how many there were. */
  cancelAll(reason: string): number {
    let cancelled = 0;
    for (const runs of this.runs.values()) {
      for (const run of runs.values()) {
        run.cancel(reason);
        cancelled += 1;
      }
    }
    return cancelled;
  }
}
