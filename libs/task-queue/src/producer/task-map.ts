import type { MapOptions } from '../interfaces/task-flow.interface.js';
import { DEFAULT_APPLY_TIMEOUT } from '../task-queue.constants.js';
import { applyWaitOf } from './enqueue-options.js';
import { failedOn } from './job-outcome.js';
import type { QueueJobStore } from './job-store.js';
import { prepareJob, type PreparedJob, type TaskLookup } from './prepared-job.js';
import { refuseTransaction } from './transaction-option.js';

/**
 * @internal `TaskQueue.map`: checks every payload before anything is sent, enqueues them all
 * in one round trip, then waits for every outcome at once (one wait for the lot, not one per
 * job). Results come in payload order; without `returnExceptions` the first failure to happen
 * rejects the whole call, and the other jobs are left to finish.
 */
export async function mapTask(
  lookup: TaskLookup,
  store: QueueJobStore,
  queue: string,
  name: string,
  payloads: readonly object[],
  options: MapOptions = {},
): Promise<unknown[]> {
  refuseTransaction(name, 'map', options);
  const { timeout = DEFAULT_APPLY_TIMEOUT, returnExceptions = false } = options;
  applyWaitOf(name, timeout);
  const jobs: PreparedJob[] = [];
  for (const payload of payloads) jobs.push(await prepareJob(lookup, queue, name, payload));
  if (jobs.length === 0) return [];
  const outcomes = (await store.applyMany(jobs, timeout)).map((outcome) =>
    outcome.catch(failedOn(queue)),
  );
  if (returnExceptions) return Promise.all(outcomes.map((outcome) => outcome.catch(asError)));
  // Every rejection after the first is left unheard by Promise.all: mark them handled.
  for (const outcome of outcomes) outcome.catch(() => undefined);
  return Promise.all(outcomes);
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));
