import type { Queue } from 'bullmq';

/**
 * @internal Writes the queue's global concurrency (BullMQ keeps it in the queue's metadata in
 * the backend, where every worker of every process reads it), or removes it when the module's
 * options set none: the options of the processes that run the queue are what holds.
 */
export async function applyGlobalConcurrency(
  queue: Queue,
  globalConcurrency: number | undefined,
): Promise<void> {
  if (globalConcurrency === undefined) await queue.removeGlobalConcurrency();
  else await queue.setGlobalConcurrency(globalConcurrency);
}
