import { describe } from '../errors/error-text.js';

/** @internal The text of the errors of the `nestjs-cls` integration. */
export const clsMessages = {
  invalidCls: (value: unknown) =>
    `TaskQueueModule: option 'cls' is ${describe(value)}; expected { propagate?, ` +
    `transactions?, resolveProxyProviders? }.`,
  invalidPropagate: (value: unknown) =>
    `TaskQueueModule: option 'cls.propagate' is ${describe(value)}; expected an array of CLS ` +
    `keys (non-empty strings), such as ['tenantId'].`,
  invalidTransactions: (value: unknown) =>
    `TaskQueueModule: option 'cls.transactions' is ${describe(value)}; expected true, false or ` +
    `{ connectionName?: '<the name given to ClsPluginTransactional>', toTransaction?: (tx) => ` +
    `TaskTransaction }.`,
  unknownClsOption: (key: string) =>
    `TaskQueueModule: option 'cls.${key}' is not an option of 'cls'; expected 'propagate', ` +
    `'transactions' or 'resolveProxyProviders'.`,
  invalidResolveProxyProviders: (value: unknown) =>
    `TaskQueueModule: option 'cls.resolveProxyProviders' is ${describe(value)}; expected true ` +
    `or false.`,
  clsMissing: (option: string, reason: string) =>
    `TaskQueueModule: option 'cls.${option}' needs nestjs-cls, but ${reason}. Potential ` +
    `solutions: install nestjs-cls and import ClsModule.forRoot({ global: true }) in the root ` +
    `module; or remove 'cls.${option}'.`,
  transactionalMissing: (connection: string, reason: string) =>
    `TaskQueueModule: option 'cls.transactions' needs @nestjs-cls/transactional's ` +
    `TransactionHost${connection}, but ${reason}. Potential solutions: register ` +
    `ClsPluginTransactional${connection ? ' with that connectionName' : ''} in ` +
    `ClsModule.forRoot({ plugins }); or remove 'cls.transactions'.`,
  txWithoutQuery: (task: string, kind: string) =>
    `Task '${task}': the enqueue joins the @Transactional() method it runs in ` +
    `(cls.transactions), but TransactionHost's tx is ${kind} without a query(text, values) ` +
    `method. Give cls.transactions a toTransaction for your adapter, such as ` +
    `{ toTransaction: drizzleTransaction }, or pass { transaction } yourself.`,
  inTransaction: (task: string, method: string) =>
    `Task '${task}': ${method}() is called inside a @Transactional() method that enqueues join ` +
    `(cls.transactions), and it would wait for a job that cannot start before the COMMIT. ` +
    `Enqueue it with enqueue() and read its outcome after the commit with getJob(id), or call ` +
    `${method}() outside the transaction (TransactionHost.withoutTransaction).`,
  notPlain: (task: string, key: string, path: string, problem: string) =>
    `Task '${task}': CLS key '${key}', which 'cls.propagate' carries into the job, is not plain ` +
    `data: ${path} ${problem}. Store plain data under that key (an id rather than an entity), ` +
    `or remove it from 'cls.propagate'.`,
};
