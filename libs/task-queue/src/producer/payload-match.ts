/**
 * @internal Whether `actual` has everything `expected` names, at every depth: objects may have
 * more keys, arrays match item by item and in length, a Date matches the same instant (or its
 * ISO string, the form it travels in), anything else by `Object.is`.
 */
export function matchesSubset(actual: unknown, expected: unknown): boolean {
  if (expected instanceof Date) {
    return actual instanceof Date
      ? actual.getTime() === expected.getTime()
      : actual === expected.toISOString();
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, index) => matchesSubset(actual[index], item))
    );
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    const fields = actual as Record<string, unknown>;
    return Object.entries(expected).every(([key, value]) => matchesSubset(fields[key], value));
  }
  return Object.is(actual, expected);
}

/** @internal A value in a failure message: JSON, with a Date as its ISO string. */
export const show = (value: unknown): string => JSON.stringify(value) ?? String(value);
