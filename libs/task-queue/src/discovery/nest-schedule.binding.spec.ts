import { Cron, Interval, Timeout } from '@nestjs/schedule';
import { DateTime } from 'luxon';
import { TaskDefinitionError } from '../errors/index.js';
import { adoptNestSchedule } from './nest-schedule.binding.js';
import { readNestSchedule } from './nest-schedule.metadata.js';

/** What the installed @nestjs/schedule stores for `decorator`, read and converted. */
function adopt(decorator: MethodDecorator, methodName = 'run') {
  class Jobs {
    run() {}
  }
  const descriptor = Object.getOwnPropertyDescriptor(Jobs.prototype, 'run')!;
  decorator(Jobs.prototype, 'run', descriptor);
  const found = readNestSchedule(descriptor.value);
  if (!found) throw new Error('no @nestjs/schedule metadata read');
  return adoptNestSchedule('Jobs', methodName, found);
}

describe('adoptNestSchedule', () => {
  it('reads nothing from a method without @nestjs/schedule decorators', () => {
    expect(readNestSchedule(() => undefined)).toBeUndefined();
    expect(readNestSchedule(undefined)).toBeUndefined();
  });

  it('makes a @Cron a scheduled task named by the decorator, in its zone', () => {
    expect(adopt(Cron('0 2 * * *', { name: 'nightly', timeZone: 'Europe/Paris' }))).toEqual({
      kind: 'task',
      meta: { name: 'nightly', scheduled: true, cron: '0 2 * * *', timeZone: 'Europe/Paris' },
    });
  });

  it.each([undefined, 'send:email', 'two words', '9lives'])(
    'names a @Cron named %j Class.method',
    (name) => {
      expect(adopt(Cron('0 2 * * *', { name }))).toMatchObject({ meta: { name: 'Jobs.run' } });
    },
  );

  it('makes an @Interval a task every ms / 1000 seconds, named or not', () => {
    expect(adopt(Interval(1500))).toEqual({
      kind: 'task',
      meta: { name: 'Jobs.run', scheduled: true, every: 1.5 },
    });
    expect(adopt(Interval('sync', 60_000))).toMatchObject({ meta: { name: 'sync', every: 60 } });
  });

  it('keeps a disabled @Cron as a task with no schedule, and waitForCompletion as overlap: false', () => {
    expect(adopt(Cron('0 2 * * *', { disabled: true, waitForCompletion: true }))).toEqual({
      kind: 'task',
      meta: { name: 'Jobs.run', overlap: false },
    });
    expect(adopt(Cron('0 2 * * *', { waitForCompletion: true }))).toMatchObject({
      meta: { scheduled: true, overlap: false },
    });
  });

  it.each([
    [0, 'UTC'],
    [60, 'Etc/GMT-1'],
    [-300, 'Etc/GMT+5'],
    [840, 'Etc/GMT-14'],
    [-720, 'Etc/GMT+12'],
  ])('turns utcOffset %j into the fixed-offset zone %s', (utcOffset, zone) => {
    expect(adopt(Cron('0 2 * * *', { utcOffset }))).toMatchObject({ meta: { timeZone: zone } });
    expect(new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone).toBe(zone);
  });

  it.each([330, 90, 900, -780])('refuses utcOffset %j, naming Class.method', (utcOffset) => {
    expect(() => adopt(Cron('0 2 * * *', { utcOffset }))).toThrow(TaskDefinitionError);
    expect(() => adopt(Cron('0 2 * * *', { utcOffset }))).toThrow(
      /^Jobs\.run: @Cron\(\) utcOffset/,
    );
  });

  it('leaves @Timeout and a one-off @Cron (Date or Luxon DateTime) to a timer in each process', () => {
    const at = new Date('2030-01-01T00:00:00Z');
    expect(adopt(Timeout(250))).toEqual({ kind: 'timer', afterMs: 250 });
    expect(adopt(Cron(at))).toEqual({ kind: 'timer', at });
    expect(adopt(Cron(DateTime.fromJSDate(at)))).toEqual({ kind: 'timer', at });
  });
});
