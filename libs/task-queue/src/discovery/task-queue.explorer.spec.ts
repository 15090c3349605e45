import { Inject, Injectable, Module, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ScheduledTask } from '../decorators/scheduled-task.decorator.js';
import { Task } from '../decorators/task.decorator.js';
import { TaskDefinitionError, TaskQueueConfigError } from '../errors/index.js';
import type { TaskContext } from '../interfaces/task-context.interface.js';
import type { ScheduledTaskOptions } from '../interfaces/task-options.interface.js';
import type { TaskQueueModuleOptions } from '../interfaces/task-queue-options.interface.js';
import { getRegistry } from './task-catalogue.js';
import { TaskQueueModule } from '../task-queue.module.js';
import { TaskRegistry } from './task.registry.js';

// These specs bootstrap real applications with `worker: false`: discovery needs no Redis.
const enqueueOnly = (options: TaskQueueModuleOptions = {}) =>
  TaskQueueModule.forRoot({ ...options, worker: false });

async function boot(providers: Provider[], options?: TaskQueueModuleOptions) {
  @Module({ providers })
  class FeatureModule {}
  const app = await Test.createTestingModule({
    imports: [enqueueOnly(options), FeatureModule],
  }).compile();
  await app.init();
  return app;
}

async function bootError(providers: Provider[], options?: TaskQueueModuleOptions) {
  const app = await boot(providers, options).catch((error: unknown) => error);
  if (!(app instanceof Error)) {
    await (app as { close(): Promise<void> }).close();
    throw new Error('bootstrap was expected to fail');
  }
  return app;
}

@Injectable()
class ReportTasks {
  @Task()
  async buildReport() {
    return 'report';
  }

  @ScheduledTask({ cron: '0 9 * * 1', timeout: 1800, queue: 'reports' })
  async weeklyReport() {
    return 'weekly';
  }

  notATask() {
    return 'plain';
  }
}

@Injectable()
class BillingTasks {
  @Task({ name: 'charge', queue: 'billing', retries: 2 })
  async charge(_ctx: TaskContext, payload: { cents: number }) {
    return payload.cents;
  }
}

const names = (registry: TaskRegistry) =>
  registry
    .getAllTasks()
    .map((task) => `${task.queue}/${task.name}=${task.className}.${task.methodName}`)
    .sort();

describe('TaskQueueExplorer', () => {
  it('binds every decorated method of a feature module provider, with queues resolved', async () => {
    const app = await boot([ReportTasks], { queues: ['default', 'reports'] });
    expect(names(app.get(TaskRegistry))).toEqual([
      'default/buildReport=ReportTasks.buildReport',
      'reports/weeklyReport=ReportTasks.weeklyReport',
    ]);
    expect(app.get(TaskRegistry).getAllTasks()).toContainEqual(
      expect.objectContaining({ name: 'weeklyReport', cron: '0 9 * * 1', timeout: 1800 }),
    );
    await app.close();
  });

  it('finds tasks of useClass, useFactory and useValue providers', async () => {
    const app = await boot(
      [
        { provide: 'REPORTS', useClass: ReportTasks },
        { provide: 'BILLING', useFactory: () => new BillingTasks() },
      ],
      { queues: ['default', 'reports', 'billing'] },
    );
    expect(names(app.get(TaskRegistry))).toEqual([
      'billing/charge=BillingTasks.charge',
      'default/buildReport=ReportTasks.buildReport',
      'reports/weeklyReport=ReportTasks.weeklyReport',
    ]);
    await app.close();

    const valued = await boot([{ provide: 'BILLING', useValue: new BillingTasks() }], {
      queues: ['default', 'billing'],
    });
    expect(names(valued.get(TaskRegistry))).toEqual(['billing/charge=BillingTasks.charge']);
    await valued.close();
  });

  it('counts one instance reached twice through useExisting as one task', async () => {
    const app = await boot([BillingTasks, { provide: 'ALIAS', useExisting: BillingTasks }], {
      queues: ['default', 'billing'],
    });
    expect(names(app.get(TaskRegistry))).toEqual(['billing/charge=BillingTasks.charge']);
    await app.close();
  });

  it('fails bootstrap on two tasks with one name on one queue, naming both methods', async () => {
    @Injectable()
    class OtherBilling {
      @Task({ name: 'charge', queue: 'billing' })
      async chargeAgain() {}
    }
    const error = await bootError([BillingTasks, OtherBilling], { queues: ['default', 'billing'] });
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect(error.message).toMatch(
      /'charge'.*'billing'.*BillingTasks\.charge.*OtherBilling\.chargeAgain/,
    );
  });

  it('fails bootstrap on a queue that is not configured, naming Class.method', async () => {
    const error = await bootError([BillingTasks]);
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect(error.message).toMatch(/^BillingTasks\.charge: queue 'billing' is not configured/);
    expect(error.message).toContain("'default'");
  });

  it.each([
    ['send:email', /"send:email" is invalid/],
    ['send email', /"send email" is invalid/],
    ['9lives', /"9lives" is invalid/],
    ['', /"" is invalid/],
    ['x'.repeat(101), /is invalid/],
  ])('fails bootstrap on the invalid task name %j', async (name, message) => {
    @Injectable()
    class BadName {
      @Task(name)
      async run() {}
    }
    const error = await bootError([BadName]);
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect(error.message).toMatch(/^BadName\.run: task name/);
    expect(error.message).toMatch(message);
  });

  it('accepts names of letters, digits, "_", "-" and "." up to 100 characters', async () => {
    @Injectable()
    class GoodNames {
      @Task('_private.task-1')
      async a() {}

      @Task(`a${'b'.repeat(99)}`)
      async b() {}
    }
    const app = await boot([GoodNames]);
    expect(app.get(TaskRegistry).getAllTasks()).toHaveLength(2);
    await app.close();
  });

  it('fails bootstrap on an invalid option value, naming it', async () => {
    @Injectable()
    class BadRetries {
      @Task({ retries: -1 })
      async run() {}
    }
    const error = await bootError([BadRetries]);
    expect(error.message).toMatch(/^BadRetries\.run: option 'retries' is -1/);
  });

  it.each([
    ['61 * * * *', /cron "61 \* \* \* \*" does not parse \(.*59/],
    ['* * * *', /cron "\* \* \* \*" has 4 field\(s\)/],
    ['0 0 0 1 1 * 2030', /cron "0 0 0 1 1 \* 2030" has 7 field\(s\)/],
    ['@daily', /cron "@daily" has 1 field\(s\)/],
  ])(
    'fails bootstrap on the invalid cron %j, naming the task and the value',
    async (cron, text) => {
      @Injectable()
      class BadCron {
        @ScheduledTask({ cron })
        async nightly() {}
      }
      const error = await bootError([BadCron]);
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toMatch(/^BadCron\.nightly: /);
      expect(error.message).toMatch(text);
    },
  );

  it('fails bootstrap on an unknown time zone, naming the task and the value', async () => {
    @Injectable()
    class BadZone {
      @ScheduledTask({ cron: '0 2 * * *', timeZone: 'Mars/Olympus_Mons' })
      async nightly() {}
    }
    const error = await bootError([BadZone]);
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect(error.message).toMatch(
      /^BadZone\.nightly: timeZone "Mars\/Olympus_Mons" is not a known IANA time zone/,
    );
  });

  it.each([
    [{ every: 0 }, /every 0 is not positive/],
    [{ every: -5 }, /every -5 is not positive/],
    [{ every: Number.NaN }, /every NaN is not a finite number/],
    [{ every: 0.0001 }, /every 0\.0001 is not a whole number of milliseconds/],
    [{ every: '30' }, /every "30" is not a finite number/],
    [{ every: 30, cron: '* * * * *' }, /'every' cannot be combined with 'cron' or 'timeZone'/],
    [{ every: 30, timeZone: 'UTC' }, /'every' cannot be combined with 'cron' or 'timeZone'/],
    [{}, /needs 'cron' \(e\.g\. '0 2 \* \* \*'\) or 'every'/],
  ])(
    'fails bootstrap on the schedule %j, naming the task and what is wrong',
    async (when, text) => {
      @Injectable()
      class BadSchedule {
        @ScheduledTask(when as unknown as ScheduledTaskOptions)
        async poll() {}
      }
      const error = await bootError([BadSchedule]);
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toMatch(/^BadSchedule\.poll: /);
      expect(error.message).toMatch(text);
    },
  );

  it('catalogues an interval schedule in seconds, with no time zone', async () => {
    @Injectable()
    class Poller {
      @ScheduledTask({ every: 0.5 })
      async poll() {}
    }
    const app = await boot([Poller]);
    const poll = app
      .get(TaskRegistry)
      .getAllTasks()
      .find((task) => task.name === 'poll');
    expect(poll).toMatchObject({ every: 0.5 });
    expect(poll).not.toHaveProperty('timeZone');
    expect(poll).not.toHaveProperty('cron');
    await app.close();
  });

  it('resolves the time zone of a scheduled task to UTC when it names none', async () => {
    const app = await boot([ReportTasks], { queues: ['default', 'reports'] });
    const weekly = app
      .get(TaskRegistry)
      .getAllTasks()
      .find((task) => task.name === 'weeklyReport');
    expect(weekly).toMatchObject({ cron: '0 9 * * 1', timeZone: 'UTC' });
    await app.close();
  });

  it('fails bootstrap on an injected parameter no module provides, naming class, method and index', async () => {
    class NotProvided {}
    @Injectable()
    class WithMissing {
      @Task()
      async run(_ctx: TaskContext, _payload: object, _missing: NotProvided) {}
    }
    const error = await bootError([WithMissing]);
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect(error.message).toMatch(
      /^WithMissing\.run: parameter #2 asks for NotProvided, which no module/,
    );
  });

  it('fails bootstrap on an injected parameter typed by an interface, naming it', async () => {
    interface Mailer {
      send(): void;
    }
    @Injectable()
    class WithInterface {
      @Task()
      async run(_ctx: TaskContext, _payload: object, _mailer: Mailer) {}
    }
    const error = await bootError([WithInterface]);
    expect(error.message).toMatch(
      /^WithInterface\.run: parameter #2 has no type DI can resolve.*@Inject\(TOKEN\)/,
    );
  });

  it('fails bootstrap on a parameter another method’s @Inject() may be meant for, naming both and the fix', async () => {
    @Injectable()
    class Clock {}
    @Injectable()
    class ClockTasks {
      helper(_a: unknown, _b: unknown, @Inject('TOKEN') _x: unknown) {}

      @Task()
      async run(_ctx: TaskContext, _payload: object, _clock: Clock) {}
    }
    const error = await bootError([Clock, ClockTasks, { provide: 'TOKEN', useValue: 'token' }]);
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect(error.message).toMatch(
      /^ClockTasks\.run: parameter #2 may be given by an @Inject\(\) on a parameter of 'ClockTasks\.helper', declared before it: .*Mark parameter #2 of ClockTasks\.run with @TaskInject\(TOKEN\).*or declare 'ClockTasks\.helper' after the task methods\.$/,
    );
  });

  it('reads options through forRootAsync from DI', async () => {
    @Module({
      providers: [{ provide: 'QUEUES', useValue: ['default', 'billing'] }],
      exports: ['QUEUES'],
    })
    class ConfigModule {}
    @Module({ providers: [BillingTasks] })
    class FeatureModule {}
    const app = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRootAsync({
          imports: [ConfigModule],
          inject: ['QUEUES'],
          useFactory: (queues: string[]) => ({ queues, worker: false }),
        }),
        FeatureModule,
      ],
    }).compile();
    await app.init();
    expect(names(app.get(TaskRegistry))).toEqual(['billing/charge=BillingTasks.charge']);
    await app.close();
  });

  it.each([0, 2_097_153, 1.5])(
    'fails bootstrap on @Task({ priority: %p }), naming Class.method and the range',
    async (priority) => {
      @Injectable()
      class BadPriority {
        @Task({ priority })
        async run() {}
      }
      const error = await bootError([BadPriority]);
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toMatch(
        /^BadPriority\.run: option 'priority' is .*; expected a whole number from 1 \(most urgent\) to 2097152/,
      );
    },
  );

  it.each([
    [{ emails: { rateLimit: { max: 0, per: 60 } } }, /'queues\.emails\.rateLimit\.max' is 0/],
    [{ emails: { rateLimit: { max: 100 } } }, /'queues\.emails\.rateLimit\.per' is undefined/],
    [{ emails: { globalConcurrency: -2 } }, /'queues\.emails\.globalConcurrency' is -2/],
  ])('fails bootstrap on queue settings %j, naming the setting', async (queues, message) => {
    const error = await bootError([], { queues: { default: {}, ...queues } as never });
    expect(error).toBeInstanceOf(TaskQueueConfigError);
    expect(error.message).toMatch(message);
  });

  it('fails bootstrap when defaultQueue is not a configured queue', async () => {
    const error = await bootError([], { queues: ['emails'] });
    expect(error).toBeInstanceOf(TaskQueueConfigError);
    expect(error.message).toMatch(
      /defaultQueue 'default' is not one of the configured queues \('emails'\)/,
    );
  });
});

describe('getRegistry()', () => {
  it('catalogues decorated methods as classes are defined, without an application', () => {
    const tasks = getRegistry().getAllTasks();
    expect(tasks).toContainEqual({
      name: 'buildReport',
      queue: undefined,
      className: 'ReportTasks',
      methodName: 'buildReport',
    });
    expect(tasks).toContainEqual({
      name: 'weeklyReport',
      queue: 'reports',
      cron: '0 9 * * 1',
      timeout: 1800,
      className: 'ReportTasks',
      methodName: 'weeklyReport',
    });
    expect(tasks.find((task) => task.methodName === 'notATask')).toBeUndefined();
  });

  it('is read-only: changing the returned list changes nothing', () => {
    const before = getRegistry().getAllTasks().length;
    getRegistry().getAllTasks().pop();
    expect(getRegistry().getAllTasks()).toHaveLength(before);
    expect(Object.isFrozen(getRegistry().getAllTasks()[0])).toBe(true);
  });
});
