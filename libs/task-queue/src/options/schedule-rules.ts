import { CronExpressionParser } from 'cron-parser';

// cron-parser also reads 4- and 7-field patterns and `@daily`-style aliases; the contract
// promises 5 fields, or 6 with seconds first, so anything else is refused before it parses.
const FIELD_COUNTS = new Set([5, 6]);

/**
 * @internal Why `cron` is not a usable pattern (a sentence fragment), or `undefined` when it
 * is one. Parsed by cron-parser, the parser BullMQ computes its ticks with.
 */
export function cronProblem(cron: unknown): string | undefined {
  if (typeof cron !== 'string') return 'is not a string';
  const fields = cron.trim().split(/\s+/).length;
  if (!FIELD_COUNTS.has(fields)) return `has ${fields} field(s)`;
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC' });
    return undefined;
  } catch (error) {
    return `does not parse (${(error as Error).message})`;
  }
}

/**
 * @internal Why `every` (seconds) is not a usable interval, or `undefined` when it is one:
 * BullMQ repeats in whole milliseconds, at least one.
 */
export function everyProblem(every: unknown): string | undefined {
  if (typeof every !== 'number' || !Number.isFinite(every)) return 'is not a finite number';
  if (every <= 0) return 'is not positive';
  const ms = every * 1000;
  if (Math.abs(ms - Math.round(ms)) > 1e-6) return 'is not a whole number of milliseconds';
  return undefined;
}

/** @internal Whether `timeZone` is an IANA zone name this runtime (and so BullMQ) knows. */
export function isTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string' || timeZone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
