/**
 * @internal The checks of every option the library takes (module, `@Task`, enqueue), in one
 * place: a rule says what a value must be, and how the error message names it.
 */
export interface OptionRule {
  check: (value: unknown) => boolean;
  /** What was expected, for the error message: "expected <this>". */
  expected: string;
}

const rule = (check: (value: unknown) => boolean, expected: string): OptionRule => ({
  check,
  expected,
});

/** BullMQ's lowest priority (2^21); 1 is the most urgent. */
export const MAX_PRIORITY = 2_097_152;

/** The lowest priority a job store takes: `2 ** 21 - 1` in BullMQ 6 (its docs say 2 097 152). */
const LOWEST_STORED_PRIORITY = 2_097_151;

/**
 * @internal A checked priority (1 to {@link MAX_PRIORITY}, as the contract states) in the job
 * stores' range: {@link MAX_PRIORITY} shares the lowest level with the one above it.
 */
export const toJobPriority = (priority: number): number =>
  Math.min(priority, LOWEST_STORED_PRIORITY);

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const rules = {
  seconds: rule((v) => isFiniteNumber(v) && v >= 0, 'a number of seconds (0 or more)'),
  timeout: rule((v) => isFiniteNumber(v) && v >= 0, 'a number of seconds (0 for no limit)'),
  waitSeconds: rule((v) => isFiniteNumber(v) && v > 0, 'a positive number of seconds to wait'),
  retries: rule(
    (v) => Number.isInteger(v) && (v as number) >= 0,
    'a whole number of extra attempts (0 or more)',
  ),
  positiveInteger: rule((v) => Number.isInteger(v) && (v as number) > 0, 'a positive integer'),
  positiveBytes: rule(
    (v) => Number.isInteger(v) && (v as number) > 0,
    'a positive whole number of bytes',
  ),
  wholeNumber: rule((v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number (0 or more)'),
  boolean: rule((v) => typeof v === 'boolean', 'true or false'),
  priority: rule(
    (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_PRIORITY,
    `a whole number from 1 (most urgent) to ${MAX_PRIORITY}`,
  ),
  positiveSeconds: rule((v) => isFiniteNumber(v) && v > 0, 'a positive number of seconds'),
  string: rule((v) => typeof v === 'string', 'a string'),
  nonEmptyString: rule((v) => typeof v === 'string' && v.length > 0, 'a non-empty string'),
  backoff: rule(
    (v) => typeof v === 'boolean' || (isFiniteNumber(v) && v > 0),
    'a boolean or a cap in seconds',
  ),
  plainObject: rule(
    (v) => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype,
    'a plain object of default payload fields',
  ),
  standardSchema: rule(
    (v) =>
      (typeof v === 'object' || typeof v === 'function') &&
      v !== null &&
      typeof (v as { '~standard'?: { validate?: unknown } })['~standard']?.validate === 'function',
    'a Standard Schema validator (zod, valibot, arktype...)',
  ),
} satisfies Record<string, OptionRule>;

/** The rules of some options of `T`, checked in this order. */
export type OptionRules<T> = readonly (readonly [keyof T, OptionRule])[];

/** One option that broke its rule. */
export interface OptionProblem {
  option: string;
  value: unknown;
  expected: string;
}

/**
 * The first option of `values` that is set and breaks its rule, in the order of `checks`;
 * options left `undefined` are not checked (their defaults apply).
 */
export function firstProblem<T extends object>(
  values: T,
  checks: OptionRules<T>,
): OptionProblem | undefined {
  for (const [option, { check, expected }] of checks) {
    const value = values[option];
    if (value !== undefined && !check(value)) return { option: String(option), value, expected };
  }
  return undefined;
}
