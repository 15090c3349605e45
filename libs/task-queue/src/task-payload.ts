import { InvalidPayloadError } from './errors/index.js';
import { messages } from './task-queue.messages.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const childPath = (path: string, key: string) =>
  IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * @internal Checks that a payload is plain data that survives JSON unchanged (a Date
 * travels as its ISO string; `undefined` fields are dropped, as JSON drops them).
 * Throws an {@link InvalidPayloadError} naming the first offending path.
 */
export function assertPlainPayload(taskName: string, payload: unknown): void {
  const fail = (path: string, problem: string): never => {
    throw new InvalidPayloadError(messages.invalidPayload(taskName, path, problem));
  };
  const ancestors: object[] = [];

  const visit = (value: unknown, path: string): void => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
      case 'undefined':
        return;
      case 'number':
        if (!Number.isFinite(value)) fail(path, `is ${value}, not a finite number`);
        return;
      case 'bigint':
        return fail(path, 'is a BigInt; send it as a string');
      case 'function':
        return fail(path, 'is a function');
      case 'symbol':
        return fail(path, 'is a symbol');
    }
    if (value === null) return;
    const object = value as object;
    if (object instanceof Date) {
      if (Number.isNaN(object.getTime())) fail(path, 'is an invalid Date');
      return;
    }
    if (ancestors.includes(object)) fail(path, 'refers back to an enclosing object (a cycle)');
    if (!Array.isArray(object) && !isPlainObject(object)) {
      const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      fail(path, `is a ${kind} instance, not plain data; convert it (e.g. to an object or array)`);
    }
    if (Object.getOwnPropertySymbols(object).length > 0) fail(path, 'has symbol keys');
    ancestors.push(object);
    if (Array.isArray(object)) {
      object.forEach((item, index) => visit(item, `${path}[${index}]`));
    } else {
      for (const [key, item] of Object.entries(object)) visit(item, childPath(path, key));
    }
    ancestors.pop();
  };

  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    const kind = Array.isArray(payload) ? 'an array' : payload === null ? 'null' : typeof payload;
    fail('payload', `is ${kind}, not an object`);
  }
  visit(payload, 'payload');
}
