import type { JobSchedulerJson, Queue } from 'bullmq';
import { SCHEDULER_ID_PREFIX } from '../task-queue.constants.js';

/** @internal The id of the job scheduler that runs task `name`. */
export const schedulerIdOf = (name: string): string => `${SCHEDULER_ID_PREFIX}${name}`;

/**
 * @internal The job schedulers this library created on `queue`, by task name, soonest first.
 * Schedulers without the library's id prefix belong to other code and are left out.
 */
export async function readSchedules(queue: Queue): Promise<Map<string, JobSchedulerJson>> {
  const schedulers = await queue.getJobSchedulers(0, -1, true);
  const ours = new Map<string, JobSchedulerJson>();
  for (const scheduler of schedulers) {
    if (scheduler.key.startsWith(SCHEDULER_ID_PREFIX) && (scheduler.pattern || scheduler.every)) {
      ours.set(scheduler.key.slice(SCHEDULER_ID_PREFIX.length), scheduler);
    }
  }
  return ours;
}
