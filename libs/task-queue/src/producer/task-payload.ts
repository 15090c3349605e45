import { InvalidPayloadError } from '../errors/index.js';
import { producerMessages } from './producer.messages.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const childPath = (path: string, key: string) =>
  IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Keys from the payload down to the value being checked; a path string is built only on failure. */
type Step = string | number;

function pathOf(steps: readonly Step[], root = 'payload'): string {
  let path = root;
  for (const step of steps) {
    path = typeof step === 'number' ? `${path}[${step}]` : childPath(path, step);
  }
  return path;
}

/** What the walk has seen, to bound the payload's JSON size without serialising it. */
interface Size {
  /** Characters of strings and keys. */
  chars: number;
  /** Values of any kind. */
  values: number;
}

// JSON spends at most 6 bytes on a character (`\u001f`), and at most this many on the
// punctuation and digits around one value; a payload under both bounds is never measured.
const MAX_BYTES_PER_CHAR = 6;
const MAX_BYTES_PER_VALUE = 32;

/**
 * @internal Checks that a payload is plain data that survives JSON unchanged (a Date
 * travels as its ISO string; `undefined` fields are dropped, as JSON drops them) and is at most
 * `maxBytes` bytes of JSON. Throws an {@link InvalidPayloadError} naming the first offending
 * path, or the size and the limit.
 */
export function assertPlainPayload(taskName: string, payload: unknown, maxBytes: number): void {
  const steps: Step[] = [];
  const size: Size = { chars: 0, values: 0 };
  let problem: string | undefined;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    const kind = Array.isArray(payload) ? 'an array' : payload === null ? 'null' : typeof payload;
    problem = `is ${kind}, not an object`;
  } else {
    problem = problemOf(payload, steps, [], size);
  }
  if (problem !== undefined) {
    throw new InvalidPayloadError(
      producerMessages.invalidPayload(taskName, pathOf(steps), problem),
    );
  }
  if (size.chars * MAX_BYTES_PER_CHAR + size.values * MAX_BYTES_PER_VALUE <= maxBytes) return;
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  if (bytes > maxBytes) {
    throw new InvalidPayloadError(producerMessages.payloadTooLarge(taskName, bytes, maxBytes));
  }
}

/**
 * @internal What is wrong with `value` as plain data (as in a payload), if anything: the path of
 * the offending part, from `root`, and the problem.
 */
export function plainDataProblem(
  value: unknown,
  root: string,
): { path: string; problem: string } | undefined {
  const steps: Step[] = [];
  const problem = problemOf(value, steps, [], { chars: 0, values: 0 });
  return problem === undefined ? undefined : { path: pathOf(steps, root), problem };
}

/** What is wrong with `value`, if anything; on a problem, `steps` is left at its path. */
function problemOf(
  value: unknown,
  steps: Step[],
  ancestors: object[],
  size: Size,
): string | undefined {
  size.values++;
  switch (typeof value) {
    case 'string':
      size.chars += value.length;
      return undefined;
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
    if (key === '__proto__') {
      return "is an own '__proto__' key, which copying the payload could turn into its prototype; rename it";
    }
    if (typeof key === 'string') size.chars += key.length;
    const problem = problemOf((object as Record<Step, unknown>)[key], steps, ancestors, size);
    if (problem !== undefined) return problem;
    steps.pop();
  }
  ancestors.pop();
  return undefined;
}
