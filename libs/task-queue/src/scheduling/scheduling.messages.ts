import { list } from '../errors/error-text.js';

/** @internal The text of the logs of the schedules' reconciliation, recovery and overlap. */
export const schedulingMessages = {
  overlapSkipped: (id: string, name: string, queue: string) =>
    `Schedule '${id}' of '${name}' on '${queue}': tick skipped, the previous run is still ` +
    `active (overlap: false). Further skips are not logged until a tick runs again.`,
  schedulesDeferred: (store: string, queues: Iterable<string>) =>
    `${store} is not reachable: the schedules of queue(s) ${list(queues)} will be reconciled ` +
    `once it is. Until then they run as last stored in ${store}.`,
  schedulesLost: (store: string) =>
    `${store} lost the queues' data (restarted empty, or flushed): putting back the schedules ` +
    `of this code and the runtime schedules last seen. Jobs that were queued are gone; make ` +
    `${store} persistent (Redis: appendonly yes) to keep them over a restart.`,
  schedulesNotChecked: (reason: string) =>
    `Could not check whether the schedules are still stored: ${reason}. Checking again shortly.`,
  schedulesFailed: (store: string, queue: string, reason: string) =>
    `Could not reconcile the schedules of queue '${queue}': ${reason}. They run as last stored ` +
    `in ${store}; restart the process once ${store} is healthy to apply this code's schedules.`,
};
