/** What a `transaction` option can be, as every error about one says. */
const WHAT_QUALIFIES =
  'a node-postgres client after BEGIN, the `tx` of a PGlite `db.transaction(async (tx) => …)`, ' +
  'or an ORM transaction through drizzleTransaction(tx), typeormTransaction(manager) or ' +
  'prismaTransaction(tx)';

/** A short name for what was passed: never its contents (a client holds credentials). */
const kindOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value !== 'object') return `${value as number | boolean | bigint | undefined}`;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
};

/** Every error text about transactional enqueues: what was wrong, and what to pass instead. */
export const transactionMessages = {
  noQuery: (task: string, value: unknown) =>
    `Task '${task}': enqueue option 'transaction' is ${kindOf(value)} without a ` +
    `query(text, values) method. Pass an open transaction: ${WHAT_QUALIFIES}.`,
  notInApply: (task: string, method: 'apply' | 'map') =>
    `Task '${task}': ${method}() does not take a 'transaction': it waits for the outcome, and ` +
    `the job cannot start before the transaction commits. Enqueue it with ` +
    `enqueue(..., { transaction }) and read its outcome after the COMMIT with getJob(id), or ` +
    `call ${method}() once the transaction has committed.`,
  perItem: (task: string, method: 'enqueueMany' | 'enqueueFlow') =>
    `Task '${task}': 'transaction' is not an option of one job of ${method}(); pass it once, ` +
    `for all the jobs, in ${method}'s own options: ${method}(${method === 'enqueueMany' ? 'items' : 'flow'}, { transaction }).`,
  redisNeedsOutbox: (queue: string) =>
    `Queue '${queue}' is on Redis, which cannot join a database transaction: a 'transaction' ` +
    `needs an outbox in the database your transactions run on. Configure it with ` +
    `TaskQueueModule.forRoot({ outbox: { connection: 'postgres://…' } }) (a URL or a pg Pool), ` +
    `or enqueue without 'transaction' after the COMMIT.`,
  notOpen: (queue: string, why: string) =>
    `Queue '${queue}': the 'transaction' given is not an open transaction (${why}), so the job ` +
    `was not enqueued. Pass it before its COMMIT or ROLLBACK: ${WHAT_QUALIFIES}; or enqueue ` +
    `without 'transaction' after the commit.`,
  otherDatabase: (queue: string, theirs: string, ours: string) =>
    `Queue '${queue}': the 'transaction' given runs on ${theirs}, but the queues are on ` +
    `${ours}; a job must be written in the queues' database to commit with your data. Pass a ` +
    `transaction of the queues' connection (the same database, and on PGlite the same ` +
    `instance), or enqueue without 'transaction' after the commit.`,
  wholeInstance: (queue: string) =>
    `Queue '${queue}': the 'transaction' given is the PGlite instance itself, not a ` +
    `transaction: inside db.transaction() its queries wait for the transaction to end (a ` +
    `deadlock), outside it nothing is rolled back. Pass the \`tx\` of ` +
    `db.transaction(async (tx) => …).`,
};
