import type { RetentionOptions } from '../interfaces/task-options.interface.js';
import { rules } from './option-rules.js';

/** @internal The first invalid part of a retention setting, if any (shared with `@Task`). */
export function checkRetention(
  retention: unknown,
): { path: string; value: unknown; expected: string } | undefined {
  if (retention === undefined) return undefined;
  if (typeof retention !== 'object' || retention === null) {
    return { path: '', value: retention, expected: '{ completed?, failed? }' };
  }
  for (const kind of ['completed', 'failed'] as const) {
    const keep = (retention as RetentionOptions)[kind];
    if (keep === undefined) continue;
    if (typeof keep !== 'object' || keep === null) {
      return { path: `.${kind}`, value: keep, expected: '{ age?: seconds, count?: jobs }' };
    }
    for (const field of ['age', 'count'] as const) {
      const value = keep[field];
      if (value !== undefined && !rules.wholeNumber.check(value)) {
        return { path: `.${kind}.${field}`, value, expected: rules.wholeNumber.expected };
      }
    }
  }
  return undefined;
}
