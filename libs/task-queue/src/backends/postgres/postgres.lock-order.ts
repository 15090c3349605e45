import type { PostgresQueueBackend } from 'bullmq';
import { routeCommand } from './postgres.command-hook.js';

/** BullMQ's renewal of a worker's active jobs' locks: one statement for all of them. */
export const EXTEND_LOCKS_COMMAND = 'extend_locks';

/** One fixed order of job ids (by UTF-16 code units), the same for every statement that uses it. */
export const byJobId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * @internal The parameters of `extend_locks` (queue, ids, tokens, lock ms, now) with the ids,
 * and their tokens with them, in `byJobId` order.
 */
export function inLockOrder(params: readonly unknown[]): readonly unknown[] {
  const [queue, ids, tokens, ...rest] = params;
  if (!Array.isArray(ids) || !Array.isArray(tokens) || ids.length !== tokens.length) return params;
  const pairs = ids.map((id: string, i) => [id, tokens[i] as unknown] as const);
  pairs.sort(([a], [b]) => byJobId(a, b));
  return [queue, pairs.map(([id]) => id), pairs.map(([, token]) => token), ...rest];
}

/**
 * @internal Renews a worker's locks in the order of the jobs' ids, the order in which a batch of
 * completions (postgres.finish-batch.ts) locks its jobs too. The renewal updates the rows of
 * every job the worker has active in one statement, and a batch locks the rows of several
 * completing jobs in one transaction: taken in two orders, the two could wait on each other
 * (a deadlock, which PostgreSQL breaks after a second by failing one of them). BullMQ's
 * statement updates the rows in the order its ids come, as PostgreSQL joins a few ids to the
 * job table's primary key; that is the planner's choice, so this removes the deadlock for the
 * plans PostgreSQL makes for such a join, not by a lock it takes itself.
 */
export function extendLocksInOrder(backend: PostgresQueueBackend): void {
  routeCommand(backend, EXTEND_LOCKS_COMMAND, (params, send) => send(inLockOrder(params)));
}
