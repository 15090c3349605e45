import type { PostgresQueueBackend } from 'bullmq';

/** What a command sends back: its rows. */
export interface CommandRows {
  rows: object[];
}

/** Sends command `name` with its parameters, as BullMQ would. */
export type SendCommand = (params: readonly unknown[]) => Promise<CommandRows>;

/** Sends a statement of ours the way BullMQ sends its own (once ready; never while closing). */
export type SendStatement = (text: string, params: readonly unknown[]) => Promise<CommandRows>;

interface CommandRunner {
  run(command: string, params: readonly unknown[]): Promise<CommandRows>;
  query(text: string, params: readonly unknown[]): Promise<CommandRows>;
}

/**
 * @internal Routes BullMQ's command `name` on `backend` through `route`, which may send it
 * with `send` or otherwise (several at once). A BullMQ internal: `PostgresQueueBackend` sends
 * every SQL command of its state changes by name through its private `run(command, params)`,
 * and has no public way to send several in one statement; its private `query(text, params)`
 * waits for the schema and holds statements back once the backend is closing. Pinned by
 * postgres.completion-batch.spec.ts, which fails when an upgrade changes it.
 */
export function routeCommand(
  backend: PostgresQueueBackend,
  name: string,
  route: (
    params: readonly unknown[],
    send: SendCommand,
    query: SendStatement,
  ) => Promise<CommandRows>,
): void {
  const runner = backend as unknown as CommandRunner;
  const { run, query } = runner;
  if (typeof run !== 'function' || typeof query !== 'function') {
    throw new Error(
      `BullMQ's PostgresQueueBackend has no run() or query() to route '${name}' with`,
    );
  }
  const send: SendCommand = (params) => run.call(backend, name, params);
  const statement: SendStatement = (text, params) => query.call(backend, text, params);
  // An own property, in front of the class's method: the other commands go as they went.
  runner.run = (command, params) =>
    command === name ? route(params, send, statement) : run.call(backend, command, params);
}
