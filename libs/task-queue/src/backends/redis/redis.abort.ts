/**
 * @internal How `abort()` reaches a job wherever it is.
 *
 * A job not yet finished gets BullMQ's deferred-failure mark (`defa`): the next worker to take it
 * fails it at once, without running it. An active job is also announced on a pub/sub channel, so
 * the process that runs it cancels it (BullMQ's `Worker.cancelJob` only reaches its own process).
 * `defa` and the key layout (job hash, completed and failed sets) are BullMQ internals with no
 * public way to fail a job that is not active; test/semantics.e2e-spec.ts pins them (a queued
 * and a delayed job aborted never run).
 */

/** KEYS: job hash, completed set, failed set. ARGV: job id, reason. 1 marked, 0 finished, -1 none. */
export const MARK_ABORTED_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) or redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'defa', ARGV[2])
return 1
`;

/** Pub/sub channel on which abort requests for one queue's active jobs are announced. */
export const abortChannel = (prefix: string, queue: string) => `${prefix}:${queue}:task-abort`;
