/** @internal The text of the errors of the Redis outbox: where, what, and how to fix it. */
export const outboxMessages = {
  invalid: (option: string, got: string, expected: string) =>
    `TaskQueueModule: option '${option}' is ${got}; expected ${expected}. Example: ` +
    `forRoot({ connection: 'redis://…', outbox: { connection: 'postgres://user@host/app' } }).`,
  notOnRedis: (kind: string) =>
    `TaskQueueModule: option 'outbox' is only for queues on Redis, and these are on ${kind}: a ` +
    `transactional enqueue there writes the job in the caller's transaction itself. Remove ` +
    `'outbox'.`,
  unknownField: (field: string) =>
    `TaskQueueModule: option 'outbox.${field}' is not known; 'outbox' takes 'connection' ` +
    `(a postgres:// URL or a pg Pool) and 'schema'.`,
  notMigrated: (schema: string) =>
    `TaskQueueModule: the outbox table "${schema}".outbox does not exist, and 'migrate: false' ` +
    `keeps the application from creating it. Run the migrations in a release step ` +
    `(TaskQueueMigrator.migrate(), or the CLI's 'migrate'), or set 'migrate: true'.`,
  otherDatabase: (where: string, got: string, expected: string) =>
    `${where}: the 'transaction' is on database '${got}, and the outbox (forRoot({ outbox })) ` +
    `is on '${expected}'. Pass a transaction of the database the outbox names, or point ` +
    `'outbox.connection' at the application's database.`,
  noOutboxTable: (where: string, database: string, schema: string) =>
    `${where}: the 'transaction' is on database '${database}', which has no outbox table ` +
    `"${schema}".outbox. Pass a transaction of the database 'outbox.connection' names.`,
  relayFailed: (problem: string, retryMs: number) =>
    `Outbox relay: committed jobs could not be moved to Redis (${problem}); they stay in the ` +
    `outbox and are tried again every ${retryMs / 1000} s. Said once, until it works again.`,
  relayBack: () => `Outbox relay: moving committed jobs to Redis again.`,
  pgNeeded: (problem: string) =>
    `TaskQueueModule: 'outbox.connection' as a URL needs the package 'pg', which could not be ` +
    `loaded (${problem}). Install it: npm install pg`,
  listenLost: (problem: string) =>
    `Outbox relay: the LISTEN connection dropped (${problem}); polling until it is back.`,
};
