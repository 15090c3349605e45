import type { WaitFacts, WorkerHint } from './wait-timeout.js';

/** What to check when no worker serves `queue`, as the error of a wait that ran out says. */
const noWorkerFix = (queue: string, { namespace, embedded, runsHere }: WorkerHint): string => {
  if (embedded) {
    return runsHere
      ? `This process is set to run its workers, but none is running (starting, or closing).`
      : `PGlite lives in this process, so only this process can run its workers: set ` +
          `\`worker\` in forRoot (it is false here, or its \`queues\` leave '${queue}' out).`;
  }
  const here = runsHere
    ? ` This process is set to run one: it may still be starting, or cannot reach the backend.`
    : ` This process runs none (\`worker: false\`, or \`worker.queues\` without '${queue}').`;
  return (
    `Check that a process runs workers for it (\`worker\` in forRoot, or runWorker()) on the ` +
    `same backend with the same ${namespace}.${here}`
  );
};

/** @internal The text of the errors of a wait for a job's result that ran out or was interrupted. */
export const waitMessages = {
  waitTimedOut: (
    name: string,
    jobId: string,
    seconds: number,
    method: string,
    facts: WaitFacts,
  ) => {
    const { queue, workers, status } = facts;
    const job = `Task '${name}' (job ${jobId} on queue '${queue}')`;
    const later = `Wait longer with ${method}(..., { timeout }) or read it later with getJob('${jobId}').`;
    if (workers === 0) {
      return (
        `${job} is still ${status ?? 'unfinished'} after ${seconds} s: no worker serves queue ` +
        `'${queue}', so nothing runs its jobs. ${noWorkerFix(queue, facts.hint)} The job stays ` +
        `where it is; read it later with getJob('${jobId}').`
      );
    }
    const where = status ? `it is still ${status}` : 'the job is still queued or running';
    if (workers === undefined)
      return `${job} did not finish within ${seconds} s; ${where}. ${later}`;
    const serve = `${workers} ${workers === 1 ? 'worker serves' : 'workers serve'} queue '${queue}'`;
    switch (status) {
      case 'active':
        return `${job} is still active after ${seconds} s: a worker is running it (${serve}). ${later}`;
      case 'queued':
        return (
          `${job} is still queued after ${seconds} s: ${serve} and none has taken it yet (busy ` +
          `with other jobs, or the queue is paused or rate-limited). ${later}`
        );
      case 'scheduled':
        return (
          `${job} is still scheduled after ${seconds} s (delayed, or waiting to retry); ${serve}. ` +
          later
        );
      default:
        return `${job} did not finish within ${seconds} s; ${where} (${serve}). ${later}`;
    }
  },
  waitInterrupted: (name: string, jobId: string) =>
    `Stopped waiting for task '${name}' (job ${jobId}): the queue is closing. ` +
    `The job is still queued or running; read it later with getJob('${jobId}').`,
};
