import { describe, list } from '../errors/error-text.js';

/** @internal The text of the errors of the enqueue side: unknown queues and tasks, payloads, enqueue options, events. */
export const producerMessages = {
  unknownQueue: (queue: string, queues: Iterable<string>) =>
    `Unknown queue '${queue}'. Configured queues: ${list(queues)}. ` +
    `Add it to TaskQueueModule.forRoot({ queues }) to use it.`,
  unknownTask: (name: string, queue: string, tasks: Iterable<string>) =>
    `Unknown task '${name}' on queue '${queue}'. Tasks on that queue: ${list(tasks)}. ` +
    `Check the name and queue, and that the provider declaring it is part of this application ` +
    `(an enqueue-only process imports the same task modules with worker: false).`,
  unknownTaskMethod: (where: string, queue: string, actualQueue: string | undefined) =>
    actualQueue
      ? `${where} is a task of queue '${actualQueue}', not '${queue}': enqueue it on that queue.`
      : `${where} is not a task this application discovered: decorate it with @Task() and make ` +
        `sure its provider is part of this application.`,
  invalidPayload: (name: string, path: string, problem: string) =>
    `Task '${name}': ${path} ${problem}. Payloads are plain data: objects, arrays, strings, ` +
    `finite numbers, booleans, null and Dates (sent as ISO strings).`,
  payloadTooLarge: (name: string, bytes: number, limit: number) =>
    `Task '${name}': the payload is ${bytes} bytes of JSON, over the limit of ${limit} bytes. ` +
    `Store large data elsewhere (a database, object storage) and pass its id, or raise the ` +
    `module's maxPayloadBytes.`,
  invalidEvent: (name: unknown, problem: string) =>
    `TaskQueues.sendEvent(${JSON.stringify(name) ?? String(name)}, data): ${problem}. Send a ` +
    `non-empty event name and a plain object of plain data, e.g. ` +
    `sendEvent('email.confirmed', { userId: 42 }).`,
  invalidDeduplication: (name: string, problem: string) =>
    `Task '${name}': ${problem}. Deduplicate with { key } (while its job is unfinished), ` +
    `throttle with { key, keyTtl } (seconds), or debounce with ` +
    `{ key, keyTtl, delay, debounce: true } (the latest payload runs after the delay).`,
  invalidEnqueueOption: (name: string, option: string, value: unknown, expected: string) =>
    `Task '${name}': enqueue option '${option}' is ${describe(value)}; expected ${expected}.`,
  invalidPayloadBySchema: (name: string, problem: string) =>
    `Task '${name}': the payload does not match the task's schema: ${problem}`,
  notRuntimeScheduleId: (id: unknown, decorator: boolean) =>
    decorator
      ? `unschedule(${describe(id)}): that is the schedule of a @ScheduledTask() method, ` +
        `which the code declares: remove the decorator (or change it to @Task()) and redeploy.`
      : `unschedule(${describe(id)}): not the id of a runtime schedule. Pass the id that ` +
        `schedule() returned, or that schedules() lists (it starts with 'task-queue-runtime:').`,
  taskFailed: (name: string, jobId: string, reason: string) =>
    `Task '${name}' (job ${jobId}) failed: ${reason}`,
};
