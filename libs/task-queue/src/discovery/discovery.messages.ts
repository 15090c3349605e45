import { describe, list } from '../errors/error-text.js';

/** @internal The text of the errors of task discovery: task definitions, their parameters, @nestjs/schedule methods. */
export const discoveryMessages = {
  undeclaredQueue: (where: string, queue: string, queues: Iterable<string>) =>
    `${where}: queue '${queue}' is not configured. Add it to TaskQueueModule.forRoot({ queues }) ` +
    `(configured: ${list(queues)}), or pick one of those.`,
  duplicateTask: (name: string, queue: string, first: string, second: string) =>
    `Task '${name}' is defined twice on queue '${queue}': by ${first} and by ${second}. ` +
    `Give one of them another name with @Task('other_name') or put it on another queue.`,
  untypedParameter: (where: string, index: number) =>
    `${where}: parameter #${index} has no type DI can resolve (an interface, a type-only ` +
    `import, or a primitive). Import its class as a value, or mark it with @Inject(TOKEN).`,
  unresolvableParameter: (where: string, index: number, token: unknown) =>
    `${where}: parameter #${index} asks for ${tokenName(token)}, which no module of this ` +
    `application provides. Add it to a module's providers (and exports, if in another module).`,
  ambiguousInject: (where: string, indices: readonly number[], owners?: readonly string[]) => {
    const parameters = `parameter${indices.length > 1 ? 's' : ''} ${indices.map((i) => `#${i}`).join(', ')}`;
    const unseen = owners
      ? ''
      : ', and this build emits no decorator metadata (emitDecoratorMetadata) to tell which ' +
        'methods are decorated';
    return (
      `${where}: ${parameters} may be given by an @Inject() on a parameter of ` +
      `${owners ? `${list(owners)}, declared before it` : 'another method'}: Nest records ` +
      `@Inject() on a method's parameters without the method's name${unseen}, so the library ` +
      `cannot tell whose it is. Mark ${parameters} of ${where} with @TaskInject(TOKEN) ` +
      `(@TaskInject(TheClass) for a class), which is recorded under the task's name` +
      (owners ? `, or declare ${list(owners)} after the task methods.` : '.')
    );
  },
  nestCronTime: (where: string, cronTime: unknown) =>
    `${where}: @Cron(${describe(cronTime)}) is neither a cron pattern nor a Date. Give a pattern ` +
    `such as '0 2 * * *' (or a CronExpression constant).`,
  nestTimerMs: (where: string, type: string, ms: unknown) =>
    `${where}: @${type === 'interval' ? 'Interval' : 'Timeout'}(${describe(ms)}) needs a whole ` +
    `number of milliseconds${type === 'interval' ? ', at least 1' : ''}.`,
  nestZoneAndOffset: (where: string) =>
    `${where}: @Cron() has both 'timeZone' and 'utcOffset'. Keep one: 'timeZone' (an IANA name ` +
    `such as 'Europe/Paris') is preferred.`,
  nestUtcOffset: (where: string, utcOffset: unknown) =>
    `${where}: @Cron() utcOffset ${describe(utcOffset)} cannot run as a fixed-offset time zone: ` +
    `with schedule: 'distributed' it must be whole hours in minutes, from -720 to 840 (e.g. ` +
    `120 for UTC+2). Use 'timeZone' with an IANA name instead, e.g. timeZone: 'Asia/Kolkata' ` +
    `for UTC+5:30.`,
  nestTimerNotStatic: (where: string) =>
    `${where}: @Timeout() and @Cron(date) run on the provider's one instance, but this ` +
    `provider is request-scoped or depends on one. Move the method to a singleton provider.`,
  taskAndNestSchedule: (where: string) =>
    `${where}: has both a task decorator (@Task/@ScheduledTask) and a @nestjs/schedule one ` +
    `(@Cron/@Interval/@Timeout). Keep one of them.`,
  scheduleModuleImported: () =>
    `TaskQueueModule: schedule: 'distributed' runs the @Cron() and @Interval() methods itself, ` +
    `once per tick across processes, but ScheduleModule.forRoot() (@nestjs/schedule) is imported ` +
    `as well and would run them again in every process. Remove ScheduleModule.forRoot() from ` +
    `your imports, or drop schedule: 'distributed' to keep @nestjs/schedule's per-process timers.`,
};

function tokenName(token: unknown): string {
  if (typeof token === 'function') return token.name || 'an anonymous class';
  return typeof token === 'symbol' ? token.toString() : `'${String(token)}'`;
}
