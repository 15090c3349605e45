import { PostgresQueueBackend } from 'bullmq';
import { EXTEND_LOCKS_COMMAND, byJobId, inLockOrder } from './postgres.lock-order.js';

describe('lock renewal in the order of job ids', () => {
  it('sorts the ids, each token staying with its job, and keeps the other parameters', () => {
    const params = ['default', ['9', '10', 'a', '1'], ['t9', 't10', 'ta', 't1'], 30_000, 123];
    expect(inLockOrder(params)).toEqual([
      'default',
      ['1', '10', '9', 'a'],
      ['t1', 't10', 't9', 'ta'],
      30_000,
      123,
    ]);
  });

  it('leaves parameters of another shape as they came', () => {
    const params = ['default', ['b', 'a'], ['tb'], 30_000, 123];
    expect(inLockOrder(params)).toBe(params);
  });

  it("is the order a batch of completions takes (JavaScript's string order)", () => {
    expect(['b', '10', '9', 'B'].sort(byJobId)).toEqual(['10', '9', 'B', 'b']);
  });

  // A BullMQ internal: the renewal goes through the backend's private run() by this name.
  it("is routed by the command name BullMQ's renewal sends", () => {
    const source = String(Reflect.get(PostgresQueueBackend.prototype, 'extendLocks'));
    expect(source).toContain(`this.run('${EXTEND_LOCKS_COMMAND}'`);
  });
});
