import { InvalidOptionsError } from '../errors/index.js';
import type { EnqueueOptions } from '../interfaces/task-job.interface.js';
import { checkTransaction, refuseTransaction, takeTransaction } from './transaction-option.js';

describe('transaction option', () => {
  const tx = { query: async () => ({ rows: [] }) };

  it('splits the transaction off the options, the rest as given', () => {
    const options: EnqueueOptions = { transaction: tx, delay: 5 };
    const [transaction, rest] = takeTransaction('send', options);
    expect(transaction).toBe(tx);
    expect(rest).toEqual({ delay: 5 });
    const plain: EnqueueOptions = { delay: 5 };
    expect(takeTransaction('send', plain)).toEqual([undefined, { delay: 5 }]);
    expect(takeTransaction('send', undefined)).toEqual([undefined, undefined]);
  });

  it.each([
    ['an object without query', { execute: () => undefined }, 'an object'],
    ['null', null, 'null'],
    ['a string', 'postgres://x', 'a string'],
    ['a class instance without query', new (class Pool {})(), 'a Pool'],
  ])('refuses %s, naming what it is and what to pass', (_what, value, named) => {
    expect(() => checkTransaction('send', value)).toThrow(InvalidOptionsError);
    expect(() => checkTransaction('send', value)).toThrow(
      `Task 'send': enqueue option 'transaction' is ${named} without a query(text, values) method. ` +
        'Pass an open transaction: a node-postgres client after BEGIN',
    );
  });

  it('refuses a transaction where the call cannot take one', () => {
    expect(() => refuseTransaction('send', 'apply', { transaction: tx })).toThrow(
      /apply\(\) does not take a 'transaction'/,
    );
    expect(() => refuseTransaction('send', 'enqueueFlow', { transaction: tx })).toThrow(
      /in enqueueFlow's own options: enqueueFlow\(flow, \{ transaction \}\)/,
    );
    expect(() => refuseTransaction('send', 'map', { timeout: 3 })).not.toThrow();
    expect(() => refuseTransaction('send', 'map', undefined)).not.toThrow();
  });
});
