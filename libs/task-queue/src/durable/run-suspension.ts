import { durableMessages as messages } from './durable.messages.js';

/** @internal How a suspended execution waits: `ctx.sleep`, or `ctx.waitForEvent`. */
export type SuspendedOutcome = 'sleeping' | 'waiting';

/**
 * @internal The end of an execution that suspends its job until `until` (ms since the epoch):
 * what `ctx.sleep` and `ctx.waitForEvent` reject with when the job is to leave its worker slot.
 * Neither a failure nor a retry: the job waits, `scheduled`, and runs again from the top then
 * (or sooner, when the event it waits for arrives).
 */
export class RunSuspension extends Error {
  override readonly name = 'RunSuspension';

  constructor(
    label: string,
    readonly outcome: SuspendedOutcome,
    readonly until: number,
    /**
     * Whether the job's wait ended meanwhile (an event came while it was being suspended):
     * then the backend wakes it at once rather than at `until`.
     */
    readonly ended?: () => Promise<boolean>,
  ) {
    super(messages.suspended(label, outcome, until));
  }
}
