// `schedule: 'distributed'`: @nestjs/schedule's decorators, as the installed version stores them,
// read by this module. Ticks run as tasks through the workers; names, `disabled`, `utcOffset`,
// `waitForCompletion` and the one-offs that stay per process; the errors at bootstrap.
import { Injectable, Module, type Type } from '@nestjs/common';
import { Cron, Interval, ScheduleModule, SchedulerRegistry, Timeout } from '@nestjs/schedule';
import {
  Task,
  TaskDefinitionError,
  TaskQueueConfigError,
  TaskQueues,
  TaskRegistry,
  TaskQueueModule,
  type TaskQueueModuleOptions,
} from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { ProcessClock } from '../libs/task-queue/src/scheduling/process-clock.js';
import { testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { QUIET, startTaskApp } from './support/task-app.js';
import { AdvancingClock } from './support/clock.js';

const calls: string[] = [];

/** How far ahead the one-off `@Cron(date)` is. */
const ONCE_AHEAD_MS = 3_600_000;

@Injectable()
class ReportJobs {
  @Cron('* * * * * *', { name: 'nest_tick' })
  tick() {
    calls.push('tick');
  }

  @Interval(1000)
  poll() {
    calls.push('poll');
    return 'polled';
  }

  @Cron('0 3 * * *', { name: 'send:digest', timeZone: 'Europe/Paris', waitForCompletion: true })
  digest() {}

  @Cron('0 4 * * *', { disabled: true })
  purge() {
    calls.push('purge');
  }

  @Cron('0 9 * * 1-5', { utcOffset: 120 })
  standup() {}

  @Interval('heartbeat', 60_000)
  heartbeat() {}

  @Timeout(50)
  warmUp() {
    calls.push('warmUp');
  }

  // An hour ahead: it comes when the test moves the application's clock there (ONCE_AHEAD_MS).
  @Cron(new Date(Date.now() + ONCE_AHEAD_MS))
  once() {
    calls.push('once');
  }
}

/** A one-off already past: ScheduleModule refuses it at bootstrap; this module only warns. */
@Injectable()
class MissedJobs {
  @Cron(new Date(Date.now() - 60_000))
  missed() {
    calls.push('missed');
  }
}

@Module({ providers: [ReportJobs] })
class ReportModule {}

@Injectable()
class PlainJobs {
  @Cron('0 3 * * *', { name: 'nightly' })
  nightly() {}

  @Interval(60_000)
  poll() {}
}

/**
 * One namespace for every bootstrap that must fail: each fails in the option checks or in
 * discovery, before it schedules or runs anything, so sharing it changes nothing they check; on
 * the embedded backend that is one PGlite started for all of them rather than one each.
 */
const failingBoots = testBackend('nest-err');

const bootError = async (
  imports: Type[],
  options: Omit<TaskQueueModuleOptions, 'connection' | 'prefix'> = { schedule: 'distributed' },
  extra: Parameters<typeof startTaskApp>[0]['imports'] = [],
) =>
  startTaskApp({
    backend: failingBoots,
    imports: [...imports, ...extra],
    options,
    logger: QUIET,
  }).then(
    () => {
      throw new Error('bootstrap was expected to fail');
    },
    (error: unknown) => error as Error,
  );

describe("TaskQueueModule.forRoot({ schedule: 'distributed' }) with @nestjs/schedule", () => {
  const backend = testBackend('nest');

  it('runs @Cron and @Interval ticks as tasks, and @Timeout / @Cron(date) in this process', async () => {
    const clock = new AdvancingClock();
    const app = await startTaskApp({
      backend,
      imports: [ReportModule],
      providers: [MissedJobs],
      options: { schedule: 'distributed' },
      logger: QUIET,
      override: (builder) => builder.overrideProvider(ProcessClock).useValue(clock),
    });
    const schedules = await app.get(TaskQueues).get('default').schedules();
    const when = schedules.map(({ next: _next, id: _id, ...rest }) => rest);
    const decorator = { source: 'decorator', overlap: true };
    expect(when).toEqual(
      expect.arrayContaining([
        { name: 'nest_tick', cron: '* * * * * *', timeZone: 'UTC', ...decorator },
        { name: 'ReportJobs.poll', every: 1, ...decorator },
        // waitForCompletion: true
        {
          name: 'ReportJobs.digest',
          cron: '0 3 * * *',
          timeZone: 'Europe/Paris',
          ...decorator,
          overlap: false,
        },
        { name: 'ReportJobs.standup', cron: '0 9 * * 1-5', timeZone: 'Etc/GMT-2', ...decorator },
        { name: 'heartbeat', every: 60, ...decorator },
      ]),
    );
    expect(when).toHaveLength(5);

    const tasks = app.get(TaskRegistry).getAllTasks();
    const byName = (name: string) => tasks.find((task) => task.name === name);
    expect(byName('ReportJobs.purge')).toMatchObject({ queue: 'default', methodName: 'purge' });
    expect(byName('ReportJobs.purge')).not.toHaveProperty('cron');
    expect(byName('ReportJobs.digest')).toMatchObject({ overlap: false });
    expect(byName('nest_tick')).not.toHaveProperty('overlap');
    expect(tasks.map((task) => task.name)).not.toContain('ReportJobs.warmUp');
    expect(tasks.map((task) => task.name)).not.toContain('ReportJobs.once');

    const until = (what: string, done: () => boolean) =>
      eventually(() => (done() ? true : undefined), 30_000, what).catch((error: Error) => {
        throw new Error(`${error.message}; calls: ${calls.join(' ')}`);
      });
    await until(
      'ticks of @Cron and @Interval',
      () =>
        calls.filter((call) => call === 'tick').length >= 2 &&
        calls.filter((call) => call === 'poll').length >= 2,
    );
    // The @Cron(date) waits for its time, then runs once it has come.
    expect(calls).not.toContain('once');
    clock.advance(ONCE_AHEAD_MS);
    await until('the @Cron(date), its time come', () => calls.includes('once'));
    expect(calls.filter((call) => call === 'warmUp')).toEqual(['warmUp']);
    expect(calls.filter((call) => call === 'once')).toEqual(['once']);
    expect(calls).not.toContain('missed');
    expect(calls).not.toContain('purge');

    // Each tick is a job of the worker, with its result kept.
    const jobs = await app.get(QueueBackend).queue('default').getJobs(['completed']);
    const poll = jobs.find((job) => job.name === 'ReportJobs.poll');
    expect(poll?.returnvalue).toBe('polled');
    await app.close();
  }, 60_000);

  it('reads the option through forRootAsync too', async () => {
    calls.length = 0;
    const app = await startTaskApp({
      backend,
      options: 'from-env',
      imports: [
        TaskQueueModule.forRootAsync({
          useFactory: () => ({
            connection: backend.connection,
            prefix: backend.prefix,
            schedule: 'distributed' as const,
          }),
        }),
        ReportModule,
      ],
      logger: QUIET,
    });
    const names = (await app.get(TaskQueues).get('default').schedules()).map((s) => s.name);
    expect(names).toContain('nest_tick');
    await app.close();
  });

  it('leaves the decorators alone without the option, to a ScheduleModule beside it', async () => {
    const app = await startTaskApp({
      backend: testBackend('nest-off'),
      imports: [ScheduleModule.forRoot()],
      providers: [PlainJobs],
      logger: QUIET,
    });
    expect(app.get(TaskRegistry).getAllTasks()).toEqual([]);
    expect(await app.get(TaskQueues).get('default').schedules()).toEqual([]);
    expect(app.get(SchedulerRegistry).getCronJobs().has('nightly')).toBe(true);
    await app.close();
  });

  it.each([
    ['forRoot', () => ScheduleModule.forRoot()],
    ['forRootAsync', () => ScheduleModule.forRootAsync({ useFactory: () => ({}) })],
  ])('fails bootstrap when ScheduleModule.%s() is imported as well', async (_how, schedule) => {
    const error = await bootError([ReportModule], undefined, [schedule()]);
    expect(error).toBeInstanceOf(TaskQueueConfigError);
    expect(error.message).toMatch(/schedule: 'distributed'.*ScheduleModule\.forRoot\(\)/);
    expect(error.message).toMatch(/Remove ScheduleModule\.forRoot\(\)/);
  });

  it.each([
    [330, /ShiftJobs\.run: @Cron\(\) utcOffset 330 cannot run as a fixed-offset time zone/],
    [-900, /ShiftJobs\.run: @Cron\(\) utcOffset -900 cannot/],
  ])('refuses the utcOffset %j, naming Class.method and the way out', async (utcOffset, text) => {
    @Injectable()
    class ShiftJobs {
      @Cron('0 9 * * *', { utcOffset })
      run() {}
    }
    @Module({ providers: [ShiftJobs] })
    class ShiftModule {}
    const error = await bootError([ShiftModule]);
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect(error.message).toMatch(text);
    expect(error.message).toMatch(/timeZone: 'Asia\/Kolkata'/);
  });

  it('maps a negative whole-hour utcOffset to its Etc/GMT zone', async () => {
    @Injectable()
    class WestJobs {
      @Cron('0 9 * * *', { name: 'west', utcOffset: -300 })
      run() {}
    }
    @Module({ providers: [WestJobs] })
    class WestModule {}
    const app = await startTaskApp({
      backend: testBackend('nest-west'),
      imports: [WestModule],
      options: { schedule: 'distributed' },
      logger: QUIET,
    });
    const [schedule] = await app.get(TaskQueues).get('default').schedules();
    expect(schedule).toMatchObject({ name: 'west', timeZone: 'Etc/GMT+5' });
    // 9:00 at UTC-5 is 14:00 UTC.
    expect(schedule.next?.getUTCHours()).toBe(14);
    await app.close();
  });

  it.each([
    [() => Cron('61 * * * *'), /^BadJobs\.run: cron "61 \* \* \* \*" does not parse/],
    [() => Cron('0 9 * * *', { timeZone: 'Mars/Base' }), /^BadJobs\.run: timeZone "Mars\/Base"/],
    [
      () => Cron('0 9 * * *', { timeZone: 'UTC', utcOffset: 60 } as never),
      /^BadJobs\.run: @Cron\(\) has both 'timeZone' and 'utcOffset'/,
    ],
    [() => Interval(0), /^BadJobs\.run: @Interval\(0\) needs a whole number of milliseconds/],
    [() => Interval(2.5), /^BadJobs\.run: @Interval\(2\.5\) needs a whole number/],
    [() => Timeout(-1), /^BadJobs\.run: @Timeout\(-1\) needs a whole number/],
  ])(
    'fails bootstrap on an invalid decorator (%#), naming Class.method',
    async (decorator, text) => {
      @Injectable()
      class BadJobs {
        run() {}
      }
      decorator()(
        BadJobs.prototype,
        'run',
        Object.getOwnPropertyDescriptor(BadJobs.prototype, 'run')!,
      );
      @Module({ providers: [BadJobs] })
      class BadModule {}
      const error = await bootError([BadModule]);
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toMatch(text);
    },
  );

  it('fails bootstrap on a method with both @Task and @Cron', async () => {
    @Injectable()
    class BothJobs {
      @Task()
      @Cron('0 9 * * *')
      run() {}
    }
    @Module({ providers: [BothJobs] })
    class BothModule {}
    const error = await bootError([BothModule]);
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect(error.message).toMatch(/^BothJobs\.run: has both a task decorator/);
  });

  it('fails bootstrap on an unknown schedule option', async () => {
    const error = await bootError([], { schedule: 'everywhere' as never });
    expect(error).toBeInstanceOf(TaskQueueConfigError);
    expect(error.message).toMatch(/option 'schedule' is "everywhere"; expected 'distributed'/);
  });
});
