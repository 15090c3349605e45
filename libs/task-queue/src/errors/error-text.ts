/** @internal Names as error messages list them: quoted, comma-separated, or '(none)'. */
export const list = (names: Iterable<string>): string =>
  [...names].map((name) => `'${name}'`).join(', ') || '(none)';

/** @internal A value as error messages show it. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
