import { describe } from '../errors/error-text.js';

/** @internal The text of the errors and logs of a run and of the workers: timeouts, rate limits, hooks, shutdown. */
export const workerMessages = {
  unknownTaskInWorker: (name: string, queue: string) =>
    `No task '${name}' on queue '${queue}' in this worker: it was enqueued by code this worker ` +
    `does not have (an older or newer deploy?). The job is failed without retries.`,
  invalidRateLimit: (label: string, seconds: unknown) =>
    `${label}: ctx.rateLimit(${describe(seconds)}) needs a positive number of seconds to pause ` +
    `the queue for, e.g. ctx.rateLimit(30) or the upstream's Retry-After.`,
  rateLimited: (label: string, seconds: number) =>
    `${label} paused its queue for ${seconds} s with ctx.rateLimit(); it runs again after that.`,
  heldWhilePaused: (queue: string, seconds: number) =>
    `Queue '${queue}': a job this worker claimed ahead (prefetch) did not start while ` +
    `ctx.rateLimit() has the queue paused; it goes back to the queue, to run in ${seconds} s.`,
  pauseNotReleased: (queue: string, reason: string, retrySeconds: number) =>
    `Queue '${queue}': the limit a ctx.rateLimit() pause set could not be lifted (${reason}); ` +
    `trying again in ${retrySeconds} s. Until then its workers count every job they start.`,
  timedOut: (label: string, seconds: number) =>
    `${label} timed out after ${seconds} s. Raise the task's timeout, or make it stop when ` +
    `ctx.signal aborts.`,
  hookFailed: (label: string, reason: string) =>
    `${label}: a per-job provider's onTaskFailure hook threw: ${reason}`,
  lateFailure: (label: string, reason: string) =>
    `${label} rejected after its run had already ended (timeout or abort): ${reason}`,
  nonErrorThrown: (value: unknown) => `Task threw a non-Error value: ${describe(value)}`,
  workersClosedWithoutBackend: (store: string) =>
    `${store} does not answer: workers closed at once. Jobs still active go back on their ` +
    `queue once their lock expires.`,
  workersStopped: (wentBack: number, graceSeconds: number) =>
    wentBack === 0
      ? `Workers stopped: every active job finished; 0 went back on their queue.`
      : `Workers stopped: ${wentBack} job(s) still running after the ${graceSeconds} s grace ` +
        `period went back on their queue, to run again in the next worker (not counted as a ` +
        `failure).`,
  forcedWorkerClose: (store: string, ms: number) =>
    `Workers did not close within ${ms} ms (${store} not answering?): closed by force. Jobs ` +
    `still active go back on their queue once their lock expires.`,
};
