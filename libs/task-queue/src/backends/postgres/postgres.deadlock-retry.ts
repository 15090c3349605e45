import type { PostgresQueueBackend } from 'bullmq';
import { routeCommand, type SendCommand } from './postgres.command-hook.js';

/**
 * BullMQ's commands that finish a job (and may claim the next). Each is one statement, so one
 * transaction: their retention trim deletes finished jobs that the completions of other
 * workers (or of the same worker, at a concurrency above 1) may lock in another order.
 */
export const FINISHING_COMMANDS = [
  'move_to_completed',
  'move_to_completed_fetch',
  'move_to_failed',
  'move_to_failed_fetch',
] as const;

/** How often a finishing command that PostgreSQL chose as a deadlock's victim is sent again. */
const DEADLOCK_RETRIES = 5;

/** PostgreSQL's SQLSTATE for a transaction rolled back to break a deadlock. */
export const DEADLOCK_DETECTED = '40P01';

/**
 * @internal Sends BullMQ's finishing commands on `backend` again when PostgreSQL rolls one
 * back to break a deadlock. The statement's transaction was rolled back whole, so nothing of
 * it happened: sending it again is safe, where BullMQ would fail the job whose handler has
 * already run (and, with attempts left, run it again).
 */
export function retryDeadlocks(backend: PostgresQueueBackend): void {
  for (const command of FINISHING_COMMANDS) {
    routeCommand(backend, command, (params, send) => sendRetrying(send, params));
  }
}

async function sendRetrying(send: SendCommand, params: readonly unknown[]) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send(params);
    } catch (error) {
      const { code } = error as { code?: unknown };
      if (code !== DEADLOCK_DETECTED || attempt >= DEADLOCK_RETRIES) throw error;
    }
  }
}
