import type { QueueRateLimit, QueueSettings } from '../interfaces/task-queue-options.interface.js';
import { rules, type OptionProblem } from './option-rules.js';

/** @internal A queue's flow-control settings, checked. */
export interface QueueLimits {
  rateLimit?: QueueRateLimit;
  globalConcurrency?: number;
}

/** @internal A rate limiter as the workers take it: at most `max` starts per `duration` ms. */
export interface QueueLimiter {
  max: number;
  duration: number;
}

/** Shortest rate-limit window: BullMQ counts its windows in whole milliseconds. */
const MIN_PER_SECONDS = 0.001;

/** Windows a window of `per` is cut into when more than one job may start per millisecond. */
const SLICES = 10;

/**
 * @internal The first invalid flow-control setting of queue `name` (its path under `queues`),
 * if any; `concurrency` is checked with the queue list.
 */
export function queueSettingsProblem(
  name: string,
  settings: QueueSettings,
): OptionProblem | undefined {
  const at = (field: string) => `queues.${name}.${field}`;
  const { rateLimit, globalConcurrency, prefetch } = settings;
  if (prefetch !== undefined && !rules.wholeNumber.check(prefetch)) {
    return {
      option: at('prefetch'),
      value: prefetch,
      expected: 'a whole number of jobs (0 or more) claimed ahead of the free slots',
    };
  }
  if (prefetch && (rateLimit !== undefined || globalConcurrency !== undefined)) {
    const limit = rateLimit !== undefined ? 'rateLimit' : 'globalConcurrency';
    return {
      option: at('prefetch'),
      value: prefetch,
      expected:
        `0 or no prefetch, as the queue has a ${limit}: the backend counts a job against ` +
        `that limit when a worker claims it, and a job claimed ahead starts later, so the ` +
        `limit would no longer hold. Remove one of the two`,
    };
  }
  if (globalConcurrency !== undefined && !rules.positiveInteger.check(globalConcurrency)) {
    return {
      option: at('globalConcurrency'),
      value: globalConcurrency,
      expected: rules.positiveInteger.expected,
    };
  }
  if (rateLimit === undefined) return undefined;
  if (typeof rateLimit !== 'object' || rateLimit === null) {
    return { option: at('rateLimit'), value: rateLimit, expected: '{ max: jobs, per: seconds }' };
  }
  if (!rules.positiveInteger.check(rateLimit.max)) {
    return {
      option: at('rateLimit.max'),
      value: rateLimit.max,
      expected: 'a positive integer (most jobs started per window)',
    };
  }
  const { per } = rateLimit;
  if (typeof per !== 'number' || !Number.isFinite(per) || per < MIN_PER_SECONDS) {
    return {
      option: at('rateLimit.per'),
      value: per,
      expected: `the window in seconds (at least ${MIN_PER_SECONDS})`,
    };
  }
  return undefined;
}

/**
 * @internal The BullMQ limiter that keeps a queue within `rateLimit` in every window of `per`
 * seconds, wherever it falls. BullMQ counts fixed windows that open at their first start, so
 * `{ max, duration: per }` alone would let up to 2 × max start within `per` across the edge of
 * two windows. One start per window of `per / max` spaces starts evenly instead; above one start
 * per millisecond, `per` is cut into {@link SLICES} windows, any `per` meets at most
 * SLICES + 1 of them, and each takes its share.
 */
export function limiterOf(rateLimit: QueueRateLimit): QueueLimiter {
  const windowMs = rateLimit.per * 1000;
  if (rateLimit.max <= windowMs) {
    return { max: 1, duration: Math.ceil(windowMs / rateLimit.max) };
  }
  const duration = Math.ceil(windowMs / SLICES);
  const windows = Math.ceil(windowMs / duration) + 1;
  return { max: Math.max(1, Math.floor(rateLimit.max / windows)), duration };
}
