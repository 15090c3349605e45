import { InvalidOptionsError, InvalidPayloadError, UnknownTaskError } from '../errors/index.js';
import type { ScheduleOptions } from '../interfaces/task-schedule.interface.js';
import { prepareJob, type TaskLookup } from '../producer/prepared-job.js';
import { checkRuntimeSchedule } from './runtime-schedule.js';

const lookup: TaskLookup = {
  tasks: new Map([['send_report', { jobOptions: { attempts: 1 } }]]),
  maxPayloadBytes: 1024,
};

const check = (options: unknown, name = 'send_report') =>
  checkRuntimeSchedule(
    (payload) => prepareJob(lookup, 'default', name, payload),
    'default',
    name,
    options as ScheduleOptions,
  );

describe('checkRuntimeSchedule', () => {
  it('turns a cron schedule into its job scheduler, namespaced id and JSON payload', () => {
    const at = new Date('2030-01-01T00:00:00Z');
    expect(
      check({ cron: '0 8 * * 1', timeZone: 'Europe/Paris', payload: { at }, id: 'weekly' }),
    ).toEqual({
      id: 'task-queue-runtime:weekly',
      when: { pattern: '0 8 * * 1', tz: 'Europe/Paris' },
      template: { name: 'send_report', data: { at: at.toISOString() }, opts: { attempts: 1 } },
    });
  });

  it('reads every in seconds, defaults the zone to UTC, and marks overlap: false', () => {
    const schedule = check({ every: 0.5, overlap: false }) as { id: string };
    expect(schedule.id).toMatch(/^task-queue-runtime:[0-9a-f-]{36}$/);
    expect(schedule).toMatchObject({
      when: { every: 500 },
      template: { data: {}, opts: { attempts: 1, taskOverlap: false } },
    });
    expect(check({ cron: '* * * * *' })).toMatchObject({ when: { tz: 'UTC' } });
  });

  it.each([
    [{}, /give 'cron'/],
    [{ cron: '0 8 * *' }, /has 4 field\(s\)/],
    [{ every: 0 }, /is not positive/],
    [{ every: 1, timeZone: 'UTC' }, /cannot be combined/],
    [{ cron: '* * * * *', timeZone: 'Nowhere/Else' }, /not a known IANA time zone/],
    [{ every: 1, id: 'with:colon' }, /option 'id'/],
    [{ every: 1, overlap: 'no' }, /option 'overlap'/],
    [{ every: 1, evry: 2 }, /unknown option 'evry'/],
    [null, /expected an object/],
  ])('refuses %j with InvalidOptionsError', (options, message) => {
    expect(() => check(options)).toThrow(InvalidOptionsError);
    expect(() => check(options)).toThrow(message);
  });

  it('refuses an unknown task and a payload that is not plain data', () => {
    expect(() => check({ every: 1 }, 'nope')).toThrow(UnknownTaskError);
    expect(() => check({ every: 1, payload: { when: new Map() } })).toThrow(InvalidPayloadError);
  });
});
