import type { TaskJobStatus } from '../interfaces/task-job.interface.js';
import { withTimeout } from '../observability/task-queue.health.js';
import { STATUS } from './bullmq.job-info.js';
import { waitTimedOut, type WorkerHint } from '../producer/wait-timeout.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import type { ExplainTimeout } from './bullmq.outcomes.js';
import type { QueueBackend } from './queue-backend.js';

/** Longest the reads that explain a wait that ran out may take, in ms. */
const EXPLAIN_TIMEOUT_MS = 1000;

/** Jobs of one batch whose state is read to explain their wait; the others' is not told. */
const STATES_READ = 20;

/**
 * @internal Explains the waits on queue `name` that ran out: counts the workers serving it (in
 * every process; on PGlite, this process's) and reads the state of the first jobs, at once and
 * for at most a second. What cannot be read in time is left out of the message.
 */
export function explainTimeout(
  backend: QueueBackend,
  name: string,
  hint: WorkerHint,
): ExplainTimeout {
  return async (jobs, seconds, method) => {
    const queue = backend.queue(name);
    const read = (id: string) =>
      withTimeout(queue.getJobState(id), EXPLAIN_TIMEOUT_MS).then(
        (state) => STATUS[state],
        () => undefined,
      );
    const [workers, statuses] = await Promise.all([
      withTimeout(backend.workersCount(name), EXPLAIN_TIMEOUT_MS).catch(() => undefined),
      Promise.all(jobs.slice(0, STATES_READ).map(({ id }) => read(id))),
    ]);
    return jobs.map(({ id, name: task }, index) => {
      const status: TaskJobStatus | undefined = statuses[index];
      return waitTimedOut(task, id, seconds, method, { queue: name, workers, status, hint });
    });
  };
}

/** @internal Where the workers of `queue` must run to serve it, for the messages. */
export function workerHint({ backend, workerQueues }: TaskQueueConfig, queue: string): WorkerHint {
  const runsHere = workerQueues.includes(queue);
  switch (backend.kind) {
    case 'redis':
      return { namespace: `\`prefix\` ('${backend.prefix}')`, embedded: false, runsHere };
    case 'postgres':
      return {
        namespace:
          backend.schema === undefined
            ? "schema (the pool's search_path)"
            : `\`prefix\` (schema '${backend.schema}')`,
        embedded: false,
        runsHere,
      };
    case 'pglite':
      return { namespace: `\`prefix\` (schema '${backend.schema}')`, embedded: true, runsHere };
  }
}
