import { CronExpression } from '@nestjs/schedule';
import { getNextMillis } from 'bullmq';
import { cronProblem, isTimeZone } from './schedule-rules.js';

const at = (iso: string) => new Date(iso);

/** The next tick after `from`, as BullMQ's job schedulers compute it. */
const nextRunAt = (pattern: string, tz: string, from: Date) =>
  new Date(getNextMillis(from.getTime(), { pattern, tz })!);

describe('the next run of a cron schedule, as BullMQ computes it', () => {
  it('reads the pattern in UTC by default, seconds field included', () => {
    expect(nextRunAt('0 2 * * *', 'UTC', at('2026-06-01T02:00:00Z'))).toEqual(
      at('2026-06-02T02:00:00Z'),
    );
    expect(nextRunAt('*/15 * * * * *', 'UTC', at('2026-06-01T10:00:07Z'))).toEqual(
      at('2026-06-01T10:00:15Z'),
    );
  });

  // US daylight saving time in 2026 starts on Sunday 8 March and ends on Sunday 1 November.
  it('gives 09:00 in New York on either side of the spring change (EST -5, then EDT -4)', () => {
    const nine = '0 9 * * *';
    const zone = 'America/New_York';
    expect(nextRunAt(nine, zone, at('2026-03-07T12:00:00Z'))).toEqual(at('2026-03-07T14:00:00Z'));
    expect(nextRunAt(nine, zone, at('2026-03-07T14:00:00Z'))).toEqual(at('2026-03-08T13:00:00Z'));
  });

  it('gives 09:00 in New York on either side of the autumn change (EDT -4, then EST -5)', () => {
    const nine = '0 9 * * *';
    const zone = 'America/New_York';
    expect(nextRunAt(nine, zone, at('2026-10-31T12:00:00Z'))).toEqual(at('2026-10-31T13:00:00Z'));
    expect(nextRunAt(nine, zone, at('2026-10-31T13:00:00Z'))).toEqual(at('2026-11-01T14:00:00Z'));
  });

  it('runs a local time that the spring change skips an hour later, and a repeated one once', () => {
    const zone = 'America/New_York';
    // 02:30 does not exist on 8 March: the run is at 03:30 EDT, then 02:30 EDT again.
    expect(nextRunAt('30 2 * * *', zone, at('2026-03-07T12:00:00Z'))).toEqual(
      at('2026-03-08T07:30:00Z'),
    );
    expect(nextRunAt('30 2 * * *', zone, at('2026-03-08T07:30:00Z'))).toEqual(
      at('2026-03-09T06:30:00Z'),
    );
    // 01:30 happens twice on 1 November: a daily task runs at the first (EDT) only.
    expect(nextRunAt('30 1 * * *', zone, at('2026-10-31T12:00:00Z'))).toEqual(
      at('2026-11-01T05:30:00Z'),
    );
    expect(nextRunAt('30 1 * * *', zone, at('2026-11-01T05:30:00Z'))).toEqual(
      at('2026-11-02T06:30:00Z'),
    );
  });

  it('differs from UTC for the same pattern', () => {
    const from = at('2026-01-15T00:00:00Z');
    expect(nextRunAt('0 2 * * *', 'UTC', from)).toEqual(at('2026-01-15T02:00:00Z'));
    expect(nextRunAt('0 2 * * *', 'America/New_York', from)).toEqual(at('2026-01-15T07:00:00Z'));
  });
});

describe('cronProblem', () => {
  it('accepts 5 fields, and 6 with seconds first', () => {
    expect(cronProblem('*/5 * * * *')).toBeUndefined();
    expect(cronProblem('0 9 * * MON-FRI')).toBeUndefined();
    expect(cronProblem('*/2 * * * * *')).toBeUndefined();
  });

  it('accepts every @nestjs/schedule CronExpression constant', () => {
    const refused = Object.entries(CronExpression).filter(([, cron]) => cronProblem(cron));
    expect(refused).toEqual([]);
  });

  it('refuses other field counts, out-of-range values and non-strings, saying why', () => {
    expect(cronProblem('* * * *')).toBe('has 4 field(s)');
    expect(cronProblem('0 0 0 1 1 * 2030')).toBe('has 7 field(s)');
    expect(cronProblem('61 * * * *')).toMatch(/^does not parse \(.*59/);
    expect(cronProblem(undefined)).toBe('is not a string');
  });
});

describe('isTimeZone', () => {
  it('knows IANA zone names and nothing else', () => {
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(isTimeZone(5)).toBe(false);
  });
});
