import { TaskWaitTimeoutError } from '../errors/index.js';
import type { TaskJobStatus } from '../interfaces/task-job.interface.js';
import { waitMessages } from './wait-timeout.messages.js';

/** @internal Where the workers of a queue must run, for the error of a wait nothing served. */
export interface WorkerHint {
  /** What a worker must share with this process besides the backend: "`prefix` ('bull')". */
  namespace: string;
  /** The backend lives in this process (PGlite): no other process can serve its queues. */
  embedded: boolean;
  /** Whether this process is configured to run workers for the queue. */
  runsHere: boolean;
}

/** @internal What was known of a job and its queue when a wait for it ran out. */
export interface WaitFacts {
  queue: string;
  /** Workers serving the queue, in any process; `undefined` when they could not be counted. */
  workers?: number;
  /** The job's status, when read and still unfinished. */
  status?: TaskJobStatus;
  hint: WorkerHint;
}

/** Statuses a job a wait ran out on can be in, as the message tells them. */
const WAITING: readonly (TaskJobStatus | undefined)[] = ['queued', 'scheduled', 'active'];

/** @internal The error of a wait for job `id` (task `name`) that ran out after `seconds`. */
export function waitTimedOut(
  name: string,
  id: string,
  seconds: number,
  method: 'apply' | 'map',
  facts: WaitFacts,
): TaskWaitTimeoutError {
  const status = WAITING.includes(facts.status) ? facts.status : undefined;
  const known = { ...facts, status };
  return new TaskWaitTimeoutError(
    waitMessages.waitTimedOut(name, id, seconds, method, known),
    id,
    facts.workers,
    status,
  );
}
