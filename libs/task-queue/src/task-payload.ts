import { InvalidPayloadError } from './errors/index.js';
import { messages } from './task-queue.messages.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const childPath = (path: string, key: string) =>
  IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Keys from the payload down to the value being checked; a path string is built only on failure. */
type Step = string | number;

function pathOf(steps: readonly Step[]): string {
  let path = 'payload';
  for (const step of steps) {
    path = typeof step === 'number' ? `${path}[${step}]` : childPath(path, step);
  }
  return path;
}

/**
 * @internal Checks that a payload is plain data that survives JSON unchanged (a Date
 * travels as its ISO string; `undefined` fields are dropped, as JSON drops them).
 * Throws an {@link InvalidPayloadError} naming the first offending path.
 */
export function assertPlainPayload(taskName: string, payload: unknown): void {
  const steps: Step[] = [];
  let problem: string | undefined;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    const kind = Array.isArray(payload) ? 'an array' : payload === null ? 'null' : typeof payload;
    problem = `is ${kind}, not an object`;
  } else {
    problem = problemOf(payload, steps, []);
  }
  if (problem !== undefined) {
    throw new InvalidPayloadError(messages.invalidPayload(taskName, pathOf(steps), problem));
  }
}

/** What is wrong with `value`, if anything; on a problem, `steps` is left at its path. */
function problemOf(value: unknown, steps: Step[], ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `is ${value}, not a finite number`;
    case 'bigint':
      return 'is a BigInt; send it as a string';
    case 'function':
      return 'is a function';
    case 'symbol':
      return 'is a symbol';
  }
  if (value === null) return undefined;
  const object = value as object;
  if (object instanceof Date) {
    return Number.isNaN(object.getTime()) ? 'is an invalid Date' : undefined;
  }
  if (ancestors.includes(object)) return 'refers back to an enclosing object (a cycle)';
  const isArray = Array.isArray(object);
  if (!isArray && !isPlainObject(object)) {
    const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    return `is a ${kind} instance, not plain data; convert it (e.g. to an object or array)`;
  }
  if (Object.getOwnPropertySymbols(object).length > 0) return 'has symbol keys';
  ancestors.push(object);
  // Array holes read as undefined, which is allowed, as forEach skipping them allowed them.
  const keys: Step[] = isArray ? Array.from(object.keys()) : Object.keys(object);
  for (const key of keys) {
    steps.push(key);
    const problem = problemOf((object as Record<Step, unknown>)[key], steps, ancestors);
    if (problem !== undefined) return problem;
    steps.pop();
  }
  ancestors.pop();
  return undefined;
}
