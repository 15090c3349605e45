import { describe, expect, it } from '@jest/globals';
import { limiterOf, queueSettingsProblem } from './queue-settings.js';
import { resolveConfig } from '../task-queue.config.js';

/** Most starts a limiter lets into any window of `windowMs`: windows start >= duration apart. */
const worstCase = ({ max, duration }: { max: number; duration: number }, windowMs: number) =>
  max === 1 ? Math.ceil(windowMs / duration) : (Math.ceil(windowMs / duration) + 1) * max;

describe('queueSettingsProblem', () => {
  it('accepts no settings, and valid ones', () => {
    expect(queueSettingsProblem('emails', {})).toBeUndefined();
    expect(
      queueSettingsProblem('emails', { rateLimit: { max: 100, per: 60 }, globalConcurrency: 2 }),
    ).toBeUndefined();
    expect(queueSettingsProblem('emails', { rateLimit: { max: 1, per: 0.5 } })).toBeUndefined();
    expect(queueSettingsProblem('emails', { concurrency: 5, prefetch: 50 })).toBeUndefined();
    expect(queueSettingsProblem('emails', { prefetch: 0, globalConcurrency: 2 })).toBeUndefined();
  });

  it('keeps the prefetch of the queues that claim ahead', () => {
    const config = resolveConfig({
      connection: 'pglite:memory',
      queues: { thumbs: { concurrency: 4, prefetch: 40 }, emails: { prefetch: 0 }, reports: {} },
      defaultQueue: 'thumbs',
    });
    expect([...config.prefetch]).toEqual([['thumbs', 40]]);
    expect(config.queues.get('thumbs')).toBe(4);
  });

  it.each([
    [{ globalConcurrency: 0 }, 'queues.emails.globalConcurrency', /positive integer/],
    [{ globalConcurrency: 1.5 }, 'queues.emails.globalConcurrency', /positive integer/],
    [{ rateLimit: 10 }, 'queues.emails.rateLimit', /\{ max: jobs, per: seconds \}/],
    [{ rateLimit: { per: 1 } }, 'queues.emails.rateLimit.max', /positive integer/],
    [{ rateLimit: { max: 0, per: 1 } }, 'queues.emails.rateLimit.max', /positive integer/],
    [{ rateLimit: { max: 10 } }, 'queues.emails.rateLimit.per', /seconds \(at least 0.001\)/],
    [{ rateLimit: { max: 10, per: 0 } }, 'queues.emails.rateLimit.per', /seconds/],
    [{ rateLimit: { max: 10, per: '1' } }, 'queues.emails.rateLimit.per', /seconds/],
    [{ prefetch: -1 }, 'queues.emails.prefetch', /whole number/],
    [{ prefetch: 2.5 }, 'queues.emails.prefetch', /whole number/],
    [{ prefetch: '10' }, 'queues.emails.prefetch', /whole number/],
    [
      { prefetch: 10, rateLimit: { max: 1, per: 1 } },
      'queues.emails.prefetch',
      /has a rateLimit: .* claims it.*Remove one of the two/,
    ],
    [{ prefetch: 10, globalConcurrency: 2 }, 'queues.emails.prefetch', /has a globalConcurrency/],
  ])('refuses %p, naming %s', (settings, option, expected) => {
    const problem = queueSettingsProblem('emails', settings as never);
    expect(problem?.option).toBe(option);
    expect(problem?.expected).toMatch(expected);
  });
});

describe('limiterOf', () => {
  it('spaces starts evenly: one per per/max, rounded up to whole milliseconds', () => {
    expect(limiterOf({ max: 10, per: 1 })).toEqual({ max: 1, duration: 100 });
    expect(limiterOf({ max: 100, per: 60 })).toEqual({ max: 1, duration: 600 });
    expect(limiterOf({ max: 3, per: 1 })).toEqual({ max: 1, duration: 334 });
  });

  it.each([
    [10, 1],
    [3, 1],
    [100, 60],
    [7, 0.05],
    [1000, 1],
    [5000, 1],
    [123_456, 2.5],
    [2, 0.001],
  ])('never lets more than %p start in any %p s, and keeps most of that rate', (max, per) => {
    const limiter = limiterOf({ max, per });
    const windowMs = per * 1000;
    expect(worstCase(limiter, windowMs)).toBeLessThanOrEqual(max);
    if (windowMs >= 10) {
      const rate = (limiter.max / limiter.duration) * windowMs;
      expect(rate).toBeGreaterThanOrEqual(max * 0.75);
    }
  });
});

describe('globalConcurrency on PGlite', () => {
  it("caps the one process's concurrency instead: PGlite has no other process", () => {
    const config = resolveConfig({
      connection: 'pglite:memory',
      queues: {
        reports: { globalConcurrency: 2 },
        exports: { concurrency: 1, globalConcurrency: 3 },
        emails: { globalConcurrency: 4, rateLimit: { max: 5, per: 1 } },
      },
      defaultQueue: 'reports',
    });
    expect([...config.queues]).toEqual([
      ['reports', 2],
      ['exports', 1],
      ['emails', 4],
    ]);
    expect([...config.limits]).toEqual([['emails', { rateLimit: { max: 5, per: 1 } }]]);
  });

  it('is a limit across processes on a server', () => {
    const config = resolveConfig({
      connection: 'postgres://127.0.0.1/test',
      queues: { reports: { globalConcurrency: 2 } },
      defaultQueue: 'reports',
    });
    expect(config.queues.get('reports')).toBe(10);
    expect(config.limits.get('reports')).toEqual({ globalConcurrency: 2 });
  });
});
