import { describe, list } from '../errors/error-text.js';

const NAME_RULE =
  '1 to 100 letters, digits, "_", "-" or ".", starting with a letter or "_" (no ":" or spaces)';

/** @internal The text of the errors of the module's, a task's and runWorker's options: where, what, how to fix it. */
export const optionMessages = {
  invalidTaskName: (where: string, name: unknown) =>
    `${where}: task name ${JSON.stringify(name)} is invalid. Use ${NAME_RULE}.`,
  invalidQueueName: (where: string, name: unknown) =>
    `${where}: queue name ${JSON.stringify(name)} is invalid. Use ${NAME_RULE}.`,
  invalidTaskOption: (where: string, option: string, value: unknown, expected: string) =>
    `${where}: option '${option}' is ${describe(value)}; expected ${expected}.`,
  invalidSchedule: (value: unknown) =>
    `TaskQueueModule: option 'schedule' is ${describe(value)}; expected 'distributed' (or ` +
    `nothing, to leave @nestjs/schedule's decorators to ScheduleModule).`,
  invalidOption: (option: string, value: unknown, expected: string) =>
    `TaskQueueModule: option '${option}' is ${describe(value)}; expected ${expected}.`,
  defaultQueueNotConfigured: (defaultQueue: string, queues: Iterable<string>) =>
    `TaskQueueModule: defaultQueue '${defaultQueue}' is not one of the configured queues ` +
    `(${list(queues)}). Add it to 'queues' or set 'defaultQueue' to one of them.`,
  staticQueuesDiffer: (given: Iterable<string>, made: Iterable<string>) =>
    `TaskQueueModule.forRootAsync: the factory's queues (${list(made)}) are not the ones given ` +
    `beside it (${list(given)}). Name the queues in one place, or the same ones in both.`,
  workerQueueNotConfigured: (queue: string, queues: Iterable<string>) =>
    `TaskQueueModule: worker.queues names '${queue}', which is not a configured queue ` +
    `(${list(queues)}). Add it to 'queues' or remove it from 'worker.queues'.`,
  runWorkerQueueNotConfigured: (queue: string, queues: Iterable<string>) =>
    `runWorker: queues names '${queue}', which is not a configured queue (${list(queues)}). ` +
    `Pick queues from TaskQueueModule's 'queues' (the CLI's worker --queues), or add it there.`,
};
