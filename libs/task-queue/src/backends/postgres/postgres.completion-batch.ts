import { ConnectionClosedError, LATEST_SCHEMA_VERSION } from 'bullmq';
import { TaskQueueConfigError } from '../../errors/index.js';
import { messages } from '../../task-queue.messages.js';
import type { CommandRows, SendCommand, SendStatement } from './postgres.command-hook.js';

/**
 * The BullMQ PostgreSQL schema version {@link COMPLETE_AND_FETCH_BATCH} was written for: the
 * signature of `move_to_completed_fetch` it calls. Another version is refused at once.
 */
export const BATCH_SCHEMA_VERSION = 11;

/** The command BullMQ's worker sends for a completion that also claims the next job. */
export const COMPLETE_AND_FETCH = 'move_to_completed_fetch';

/** Most completions sent in one statement. */
const MAX_BATCH = 64;

/**
 * How often a completion (alone or in a group) that PostgreSQL chose as a deadlock's victim is
 * sent again: its transaction was rolled back whole, so sending it again is safe.
 */
const DEADLOCK_RETRIES = 3;

/** PostgreSQL's SQLSTATE for a transaction rolled back to break a deadlock. */
const DEADLOCK_DETECTED = '40P01';

/**
 * BullMQ's own `move_to_completed_fetch`, once per completion, in one statement (so one
 * transaction and one commit): the completions in their order, each returning the job it
 * claimed next (if any) under its position. `$1` is the queue, `$2` a JSON array of the
 * function's other parameters, in its order.
 */
export const COMPLETE_AND_FETCH_BATCH = `SELECT c.ord AS batch_position, j.*
  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS c(p, ord)
  CROSS JOIN LATERAL move_to_completed_fetch(
    $1::text, c.p->>0, c.p->>1, c.p->2, (c.p->>3)::bigint, (c.p->>4)::boolean,
    (c.p->>5)::bigint, (c.p->>6)::integer, (c.p->>7)::bigint, (c.p->>8)::bigint,
    c.p->>9, (c.p->>10)::integer, (c.p->>11)::bigint) AS j
  ORDER BY c.ord`;

type Rows = CommandRows;

interface Waiting {
  params: readonly unknown[];
  resolve(result: Rows): void;
  reject(error: unknown): void;
}

/**
 * @internal The completions of one worker, sent as a group commit: one goes out as BullMQ
 * sends it; those that come while it is in flight wait for it and then go together, in one
 * statement. A lone completion (concurrency 1) is never held back. One statement at a time
 * also means a worker's completions never deadlock one another (BullMQ's retention trim
 * deletes rows that concurrent completions of the queue lock in another order); one that
 * deadlocks with another process is sent again. If a group fails for
 * a reason other than a lost connection, nothing of it was committed, and each of its
 * completions is sent again on its own, so that each gets its own answer or error.
 */
export class CompletionBatch {
  private readonly waiting: Waiting[] = [];
  private sending = false;

  constructor(
    private readonly query: SendStatement,
    /** Sends one completion as BullMQ would. */
    private readonly single: SendCommand,
  ) {
    if (LATEST_SCHEMA_VERSION !== BATCH_SCHEMA_VERSION) {
      throw new TaskQueueConfigError(
        messages.batchSchemaVersion(BATCH_SCHEMA_VERSION, LATEST_SCHEMA_VERSION),
      );
    }
  }

  /** Completes with BullMQ's parameters of `move_to_completed_fetch`; resolves with its rows. */
  complete(params: readonly unknown[]): Promise<Rows> {
    return new Promise<Rows>((resolve, reject) => {
      this.waiting.push({ params, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, MAX_BATCH);
        if (group.length === 1) await this.alone(group[0]);
        else await this.together(group);
      }
    } finally {
      this.sending = false;
    }
  }

  private alone({ params, resolve, reject }: Waiting): Promise<void> {
    return retryDeadlock(() => this.single(params)).then(resolve, reject);
  }

  private async together(group: Waiting[]): Promise<void> {
    const [queue] = group[0].params;
    let rows: object[];
    try {
      const list = group.map(({ params }) => params.slice(1).map(jsonParam));
      const text = JSON.stringify(list);
      ({ rows } = await retryDeadlock(() => this.query(COMPLETE_AND_FETCH_BATCH, [queue, text])));
    } catch (error) {
      // (The pool reports a lost connection as BullMQ's ConnectionClosedError.) Whether the
      // group committed is then unknown: each completion reports it, as it would alone.
      if (error instanceof ConnectionClosedError) for (const { reject } of group) reject(error);
      else for (const waiting of group) await this.alone(waiting);
      return;
    }
    const next = new Map<number, object[]>();
    for (const row of rows) {
      const { batch_position: position, ...job } = row as { batch_position: unknown };
      next.set(Number(position), [job]);
    }
    group.forEach(({ resolve }, index) => resolve({ rows: next.get(index + 1) ?? [] }));
  }
}

/**
 * A parameter inside the JSON array: the return value BullMQ sends as JSON text becomes the
 * JSON value itself (`c.p->2` reads it as jsonb, as `$4::jsonb` reads the text).
 */
function jsonParam(value: unknown, index: number): unknown {
  return index === 2 && typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

/** Runs `send`, again while PostgreSQL rolls it back to break a deadlock. */
async function retryDeadlock<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const { code } = error as { code?: unknown };
      if (code !== DEADLOCK_DETECTED || attempt >= DEADLOCK_RETRIES) throw error;
    }
  }
}
