import { ConnectionClosedError, type PostgresQueueBackend } from 'bullmq';
import { routeCommand, type CommandRows, type SendCommand } from './postgres.command-hook.js';
import { COMPLETE_FUNCTION_NAME, COMPLETE_ONE_FUNCTION_NAME } from './postgres.complete-sql.js';
import { byJobId } from './postgres.lock-order.js';

/** The command batched: BullMQ's completion of a job fused with the claim of the next one. */
export const BATCHED_COMMAND = 'move_to_completed_fetch';

/**
 * Most statements of one worker's completions on their way at once: the number that gave the
 * most jobs per second as measured (docs/postgres.md, "Completions in batches").
 */
const MOST_IN_FLIGHT = 2;

/** Most completions one batch statement carries. */
const MOST_PER_BATCH = 64;

/**
 * The PostgreSQL type of each of `move_to_completed_fetch`'s 13 parameters, in BullMQ's order:
 * queue, id, token, return value (JSON text), finished on, remove all, keep age, keep count,
 * lock ms, now, worker name, limiter max, limiter duration.
 */
const PARAM_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'bigint',
  'boolean',
  'bigint',
  'integer',
  'bigint',
  'bigint',
  'text',
  'integer',
  'bigint',
] as const;

/**
 * Many calls of BullMQ's own `move_to_completed_fetch`, in one statement (so one transaction,
 * one commit), in the order given. `$n` is the array of the n-th parameter of every call.
 */
const BATCH_SQL = `SELECT b.ord AS tq_batch_ord, j.*
  FROM unnest(${PARAM_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
       WITH ORDINALITY AS b(${PARAM_TYPES.map((_, i) => `p${i + 1}`).join(', ')}, ord)
 CROSS JOIN LATERAL move_to_completed_fetch(
       b.p1, b.p2, b.p3, b.p4::jsonb, b.p5, b.p6, b.p7, b.p8, b.p9, b.p10, b.p11, b.p12, b.p13) AS j
 ORDER BY b.ord`;

/**
 * The same calls, made by the module's set-based function (postgres.complete-sql.ts), which
 * sends those outside its common case to BullMQ's function as {@link BATCH_SQL} does.
 */
const SET_BASED_SQL = `SELECT r.ord AS tq_batch_ord, (r.claimed).*
  FROM ${COMPLETE_FUNCTION_NAME}(${PARAM_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')}) AS r
 ORDER BY r.ord`;

/**
 * A completion alone, made by the module's function for one (postgres.complete-sql.ts), which
 * sends one outside its common case to BullMQ's function, with BullMQ's parameters as they are.
 */
const ONE_SQL = `SELECT * FROM ${COMPLETE_ONE_FUNCTION_NAME}(
  $1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)`;

/**
 * The name {@link ONE_SQL} is sent under on a server: node-postgres prepares a named statement
 * once per connection, so the server no longer parses and plans it at every call. The batch's
 * statement is sent unnamed: it measured no faster named (docs/postgres.md).
 */
const ONE_STATEMENT = COMPLETE_ONE_FUNCTION_NAME;

/** Whether batches go through the module's set-based function, where the schema has it. */
const SET_BASED = true;

/** SQLSTATE of a call of a function the schema does not have. */
const UNDEFINED_FUNCTION = '42883';

/**
 * SQLSTATEs of a call that does not fit the function (undefined function, wrong type): a
 * BullMQ whose `move_to_completed_fetch` differs from the one this batch was written for.
 */
const NOT_FITTING = new Set(['42883', '42804', '42725']);

interface Pending {
  params: readonly unknown[];
  resolve(rows: CommandRows): void;
  reject(error: unknown): void;
}

/** Runs `text`; `name`: as a named statement, where the pool prepares them. */
type Query = (text: string, params: readonly unknown[], name?: string) => Promise<CommandRows>;

/** A query config of node-postgres: a named statement (`name`) is prepared once per connection. */
interface NamedQuery {
  name: string;
  text: string;
  values: readonly unknown[];
}

/**
 * @internal Group commit of a worker's completions on PostgreSQL. BullMQ's worker finishes each
 * job with one statement that also claims its next job (`move_to_completed_fetch`): one commit
 * per job, the cost that bounds throughput. Here a completion sent while another of the same
 * worker is on its way waits for the end of the event loop's turn (or for an answer), and those
 * waiting then go together, as one statement calling BullMQ's own function once per job in the
 * order of their ids: one commit for all of them. A completion with none on its way goes at
 * once, alone (no wait is added at concurrency 1 or on an idle worker), through the module's
 * function for one where the schema has it: BullMQ's parameters as they are, and BullMQ's own
 * function for any call outside its common case; should the statement fail, the completion is
 * sent again as BullMQ sends it, for BullMQ's own outcome.
 *
 * A batch is one transaction: when it fails for one job (a job that lost its lock, a
 * deadlock), nothing of it happened, and each of its completions is sent again alone, so each
 * gets its own outcome, as without batching. When the connection was lost, every completion
 * of the batch gets that error, as each would have alone. A BullMQ that calls the function with
 * another number of parameters is not batched at all; one whose function takes other types
 * (another schema version) fails the first batch: its completions go alone, and so do the
 * worker's from then on.
 */
export function batchCompletions(
  backend: PostgresQueueBackend,
  { prepared }: { prepared: boolean },
): void {
  // BullMQ's backend hands a query's arguments to the pool as they are (a BullMQ internal, as
  // routing its commands is): a node-postgres query config gets through.
  const inner = backend as unknown as {
    query(text: string | NamedQuery, params?: unknown): Promise<CommandRows>;
  };
  const query: Query = (text, params, name) =>
    name && prepared ? inner.query({ name, text, values: params }) : inner.query(text, params);
  const waiting: Pending[] = [];
  let sending = 0;
  let batching = true;
  let setBased = SET_BASED;
  let oneBased = SET_BASED;

  const flush = async (send: SendCommand) => {
    sending++;
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, batching ? MOST_PER_BATCH : 1);
        if (batch.length === 1 && !oneBased) await sendAlone(batch[0], send);
        else if (batch.length === 1) {
          const failed = await sendOne(batch[0], query, send);
          // A schema without the module's functions (migrate: false), or with another BullMQ's.
          if (failed !== undefined && NOT_FITTING.has(failed)) oneBased = false;
        } else {
          const sql = setBased ? SET_BASED_SQL : BATCH_SQL;
          const failed = await sendBatch(batch, sql, query, send);
          // A schema migrated without the module's function (migrate: false): BullMQ's own.
          if (setBased && failed === UNDEFINED_FUNCTION) setBased = false;
          else if (failed !== undefined && NOT_FITTING.has(failed)) batching = false;
        }
        // The slots this answer freed finish their next jobs in this turn of the event loop:
        // the next statement takes them all.
        await nextTurn();
      }
    } finally {
      sending--;
    }
  };

  let deferred = false;
  routeCommand(backend, BATCHED_COMMAND, (params, send) => {
    // A BullMQ that calls its function with other parameters than the batch was written for.
    if (params.length !== PARAM_TYPES.length) return send(params);
    const result = new Promise<CommandRows>((resolve, reject) => {
      waiting.push({ params, resolve, reject });
    });
    // With none on its way, a completion goes at once: nothing waits at concurrency 1. With one
    // on its way, the next statement starts once the jobs that finish in this turn of the event
    // loop have joined it: the slots a batch's answer frees finish together, and the first
    // of them sent alone would cost the server several times what it costs per job in a batch.
    if (sending === 0) void flush(send);
    else if (sending < MOST_IN_FLIGHT && !deferred) {
      deferred = true;
      setImmediate(() => {
        deferred = false;
        if (sending < MOST_IN_FLIGHT && waiting.length > 0) void flush(send);
      });
    }
    return result;
  });
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function sendAlone(pending: Pending, send: SendCommand): Promise<void> {
  try {
    pending.resolve(await send(pending.params));
  } catch (error) {
    pending.reject(error);
  }
}

/**
 * Sends one completion through the module's function for one, or as BullMQ sends it when that
 * failed (so that it gets BullMQ's own outcome); the SQLSTATE it failed with, if any.
 */
async function sendOne(
  pending: Pending,
  query: Query,
  send: SendCommand,
): Promise<string | undefined> {
  let answer: CommandRows;
  try {
    answer = await query(ONE_SQL, pending.params, ONE_STATEMENT);
  } catch (error) {
    if (error instanceof ConnectionClosedError) {
      pending.reject(error);
      return undefined;
    }
    // Rolled back whole: BullMQ's function, for its outcome.
    await sendAlone(pending, send);
    const { code } = error as { code?: unknown };
    return typeof code === 'string' ? code : undefined;
  }
  pending.resolve({ rows: answer.rows });
  return undefined;
}

/**
 * Sends `batch` as one statement `sql`, or each of its completions alone when the statement
 * failed; the SQLSTATE it failed with, if any.
 */
async function sendBatch(
  batch: Pending[],
  sql: string,
  query: Query,
  send: SendCommand,
): Promise<string | undefined> {
  // In the order of the jobs' ids, as a worker's lock renewal takes them (postgres.lock-order.ts):
  // two statements that lock the same rows in one order cannot wait on each other.
  batch.sort((a, b) => byJobId(String(a.params[1]), String(b.params[1])));
  const columns = PARAM_TYPES.map((_, i) => batch.map(({ params }) => params[i] ?? null));
  let rows: Array<Record<string, unknown>>;
  try {
    ({ rows } = (await query(sql, columns)) as { rows: Array<Record<string, unknown>> });
  } catch (error) {
    // The pool BullMQ is given turns a lost connection's errors into this one.
    if (error instanceof ConnectionClosedError) {
      for (const pending of batch) pending.reject(error);
      return undefined;
    }
    // Rolled back whole: each completion alone, for its own outcome.
    for (const pending of batch) await sendAlone(pending, send);
    const { code } = error as { code?: unknown };
    return typeof code === 'string' ? code : undefined;
  }
  const claimed: Array<Array<Record<string, unknown>>> = batch.map(() => []);
  for (const { tq_batch_ord: ord, ...row } of rows) claimed[Number(ord) - 1].push(row);
  batch.forEach((pending, i) => pending.resolve({ rows: claimed[i] }));
  return undefined;
}
