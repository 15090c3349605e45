import type { PostgresQueueBackend } from 'bullmq';

/** What a command sends back: its rows. */
export interface CommandRows {
  rows: object[];
}

/** Sends one command with its parameters, as BullMQ would. */
export type SendCommand = (params: readonly unknown[]) => Promise<CommandRows>;

interface CommandRunner {
  run(command: string, params: readonly unknown[]): Promise<CommandRows>;
}

/**
 * @internal Routes BullMQ's command `name` on `backend` through `route`, which sends it with
 * `send` (or again). A BullMQ internal: `PostgresQueueBackend` sends every SQL command of its
 * state changes by name through its private `run(command, params)`, and has no public way to
 * act on how one failed before that becomes the job's failure. Pinned by
 * postgres.deadlock-retry.spec.ts, which fails when an upgrade changes it.
 */
export function routeCommand(
  backend: PostgresQueueBackend,
  name: string,
  route: (params: readonly unknown[], send: SendCommand) => Promise<CommandRows>,
): void {
  const runner = backend as unknown as CommandRunner;
  if (typeof runner.run !== 'function') {
    throw new Error(`BullMQ's PostgresQueueBackend has no run(command, params) to route '${name}'`);
  }
  const run = runner.run.bind(backend);
  const send: SendCommand = (params) => run(name, params);
  // An own property, in front of the class's method: the other commands go as they went.
  runner.run = (command, params) => (command === name ? route(params, send) : run(command, params));
}
