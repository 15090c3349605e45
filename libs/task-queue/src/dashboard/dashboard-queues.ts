import type { BullMQAdapter } from '@bull-board/api/bullMQAdapter';

/** @internal A queue as Bull Board shows it. */
export type BoardQueue = ConstructorParameters<typeof BullMQAdapter>[0];

/**
 * @internal The queues the dashboard shows, by name: the backend's, wired by `TaskQueueModule`;
 * none under the testing module.
 */
export abstract class DashboardQueues {
  /** Whether there are queues to show. */
  abstract readonly hasQueues: boolean;
  abstract queue(name: string): BoardQueue;
}
