import { describe, expect, it } from '@jest/globals';
import type { ModuleRef } from '@nestjs/core';
import { InvalidOptionsError, TaskQueueConfigError } from '../errors/index.js';
import { loadTransactionJoin, TransactionJoin } from './cls.transaction-join.js';

/** A TransactionHost inside (or outside) a @Transactional() method, holding `tx`. */
const host = (tx: unknown, active = true) => ({ isTransactionActive: () => active, tx });
const client = { query: () => Promise.resolve({ rows: [] }) };

describe('TransactionJoin', () => {
  it('joins nothing outside a transaction, whatever the method', () => {
    const join = new TransactionJoin(host(client, false), undefined);
    for (const method of ['enqueue', 'enqueueMany', 'enqueueFlow', 'apply', 'map'] as const) {
      expect(join.transaction('send', method)).toBeUndefined();
    }
  });

  it("joins the host's tx when it has query(), else what toTransaction makes of it", () => {
    expect(new TransactionJoin(host(client), undefined).transaction('send', 'enqueue')).toBe(
      client,
    );
    const drizzleTx = { execute: () => undefined };
    const made = new TransactionJoin(host(drizzleTx), (tx) => ({ ...client, tx }) as never);
    expect(made.transaction('send', 'enqueueMany')).toEqual({ ...client, tx: drizzleTx });
  });

  it('refuses apply and map inside a transaction, and a tx it cannot write through', () => {
    const join = new TransactionJoin(host(client), undefined);
    expect(() => join.transaction('send', 'apply')).toThrow(InvalidOptionsError);
    expect(() => join.transaction('send', 'map')).toThrow(
      /map\(\) is called inside a @Transactional/,
    );
    class NodePgTransaction {}
    const opaque = new TransactionJoin(host(new NodePgTransaction()), undefined);
    expect(() => opaque.transaction('send', 'enqueue')).toThrow(
      /Task 'send': .*tx is a NodePgTransaction without a query\(text, values\) method.*toTransaction/,
    );
  });
});

describe('loadTransactionJoin', () => {
  const token = Symbol('TransactionHost billing');
  const api = { getTransactionHostToken: (name?: string) => (name === 'billing' ? token : null) };
  const moduleRef = {
    get: (wanted: unknown) => {
      if (wanted === token) return host(client);
      throw new Error('not found');
    },
  } as unknown as ModuleRef;

  it('finds the TransactionHost of the connection named', async () => {
    const join = await loadTransactionJoin(moduleRef, { connectionName: 'billing' }, () =>
      Promise.resolve(api),
    );
    expect(join.transaction('send', 'enqueue')).toBe(client);
  });

  it('fails the bootstrap without that TransactionHost, or without the package', async () => {
    await expect(loadTransactionJoin(moduleRef, {}, () => Promise.resolve(api))).rejects.toThrow(
      /needs @nestjs-cls\/transactional's TransactionHost, but the application has none registered/,
    );
    const missing = () =>
      Promise.reject(Object.assign(new Error('no'), { code: 'MODULE_NOT_FOUND' }));
    const refused = loadTransactionJoin(moduleRef, { connectionName: 'billing' }, missing);
    await expect(refused).rejects.toThrow(TaskQueueConfigError);
    await expect(refused).rejects.toThrow(
      /TransactionHost 'billing', but the package @nestjs-cls\/transactional is not installed/,
    );
  });
});
