import { describe, expect, it } from '@jest/globals';
import { TaskQueueConfigError } from '../errors/index.js';
import { carry, carryFlow } from '../producer/job-context.js';
import type { PreparedJob } from '../producer/prepared-job.js';
import { resolveConfig } from '../task-queue.config.js';
import { resolveClsConfig } from './cls.config.js';

describe("forRoot's cls option", () => {
  it('defaults to nothing carried and no transaction joined', () => {
    expect(resolveConfig({}).cls).toEqual({
      propagate: [],
      transactions: false,
      resolveProxyProviders: false,
    });
  });

  it('takes keys to carry (once each) and the transactions to join', () => {
    expect(resolveClsConfig({ propagate: ['tenantId', 'userId', 'tenantId'] })).toEqual({
      propagate: ['tenantId', 'userId'],
      transactions: false,
      resolveProxyProviders: false,
    });
    expect(resolveClsConfig({ resolveProxyProviders: true }).resolveProxyProviders).toBe(true);
    expect(resolveClsConfig({ transactions: true }).transactions).toEqual({});
    const toTransaction = (tx: unknown) => tx as never;
    expect(
      resolveClsConfig({ transactions: { connectionName: 'billing', toTransaction } }).transactions,
    ).toEqual({ connectionName: 'billing', toTransaction });
  });

  it.each([
    [
      'a string',
      'tenantId',
      /option 'cls' is "tenantId"; expected \{ propagate\?, transactions\?, resolveProxyProviders\? \}/,
    ],
    ['an unknown option', { keys: ['a'] }, /option 'cls\.keys' is not an option of 'cls'/],
    ['keys not in an array', { propagate: 'tenantId' }, /'cls\.propagate' is "tenantId"/],
    ['an empty key', { propagate: [''] }, /'cls\.propagate' .*\(non-empty strings\)/],
    ['a key that is not a string', { propagate: [Symbol('k')] }, /'cls\.propagate'/],
    ['transactions: a string', { transactions: 'yes' }, /'cls\.transactions' is "yes"/],
    ['an empty connection name', { transactions: { connectionName: '' } }, /connectionName/],
    [
      'a toTransaction that is no function',
      { transactions: { toTransaction: 1 } },
      /toTransaction/,
    ],
    ['resolveProxyProviders: a string', { resolveProxyProviders: 'yes' }, /true or false/],
    ['an unknown transactions option', { transactions: { name: 'a' } }, /'cls\.transactions'/],
  ])('refuses %s, saying what it expected', (_what, cls, message) => {
    expect(() => resolveConfig({ cls: cls as never })).toThrow(TaskQueueConfigError);
    expect(() => resolveConfig({ cls: cls as never })).toThrow(message);
  });
});

describe('what jobs carry', () => {
  const shared = { attempts: 1 };
  const job: PreparedJob = { name: 'send', data: {}, opts: shared };

  it("puts the values in a copy of the job's options, leaving the task's own alone", () => {
    const carried = carry(job, { tenantId: 'acme' });
    expect(carried.opts).toEqual({ attempts: 1, taskContext: { tenantId: 'acme' } });
    expect(shared).toEqual({ attempts: 1 });
    expect(carry(job, undefined)).toBe(job);
  });

  it('puts them in every job of a flow', () => {
    const leaf = { id: 'b', queue: 'q', job, children: [] };
    const flow = carryFlow({ id: 'a', queue: 'q', job, children: [leaf] }, { userId: 7 });
    expect(flow.job.opts.taskContext).toEqual({ userId: 7 });
    expect(flow.children[0].job.opts.taskContext).toEqual({ userId: 7 });
  });
});
