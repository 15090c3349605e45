import { randomUUID } from 'node:crypto';
import { InvalidOptionsError } from '../errors/index.js';
import type { ScheduleOptions } from '../interfaces/task-schedule.interface.js';
import { cronProblem, everyProblem, isTimeZone } from '../options/schedule-rules.js';
import type { RuntimeSchedule, When } from '../scheduling/task-schedule.store.js';
import {
  DEFAULT_TIME_ZONE,
  NAME_PATTERN,
  RUNTIME_SCHEDULER_ID_PREFIX,
  SCHEDULER_ID_PREFIX,
} from '../task-queue.constants.js';
import { optionMessages } from '../options/options.messages.js';
import { scheduleMessages } from '../options/schedule.messages.js';
import { producerMessages } from './producer.messages.js';
import { prepareJob, type PreparedJob, type TaskLookup } from './prepared-job.js';

const KNOWN = new Set(['cron', 'every', 'timeZone', 'payload', 'id', 'overlap']);

/**
 * @internal Checks one `TaskQueue.schedule()` call as `@ScheduledTask()` and an enqueue are
 * checked (task, times, time zone, payload, schema) and turns it into its job scheduler; no
 * backend call. Throws at once on bad input; returns a promise only for a task with a schema.
 * @throws UnknownTaskError, InvalidPayloadError, or InvalidOptionsError for the rest.
 */
export function checkRuntimeSchedule(
  lookup: TaskLookup,
  queue: string,
  name: string,
  options: ScheduleOptions,
): RuntimeSchedule | Promise<RuntimeSchedule> {
  const where = `schedule('${name}') on queue '${queue}'`;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionsError(scheduleMessages.notScheduleOptions(where, options));
  }
  const prepared = prepareJob(lookup, queue, name, options.payload ?? {});
  const when = whenOf(where, options);
  const id = idOf(where, options.id);
  if (options.overlap !== undefined && typeof options.overlap !== 'boolean') {
    throw new InvalidOptionsError(
      optionMessages.invalidTaskOption(where, 'overlap', options.overlap, 'true or false'),
    );
  }
  const toSchedule = ({ data, opts }: PreparedJob): RuntimeSchedule => ({
    id,
    when,
    // In the JSON form every job's data takes (a Date becomes its ISO string).
    template: {
      name,
      data: JSON.parse(JSON.stringify(data)) as object,
      opts: options.overlap === false ? { ...opts, taskOverlap: false } : opts,
    },
  });
  return prepared instanceof Promise ? prepared.then(toSchedule) : toSchedule(prepared);
}

/** A valid cron (in a known zone) or a valid interval, never both; no unknown option. */
function whenOf(where: string, options: ScheduleOptions): When {
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key))
      throw new InvalidOptionsError(scheduleMessages.unknownScheduleOption(where, key));
  }
  const { cron, every, timeZone } = options;
  if (every !== undefined) {
    const problem = everyProblem(every);
    if (problem)
      throw new InvalidOptionsError(scheduleMessages.invalidEvery(where, every, problem));
    if (cron !== undefined || timeZone !== undefined) {
      throw new InvalidOptionsError(scheduleMessages.everyWithCron(where));
    }
    return { every: Math.round(every * 1000) };
  }
  if (cron === undefined) throw new InvalidOptionsError(scheduleMessages.noRuntimeSchedule(where));
  const problem = cronProblem(cron);
  if (problem) throw new InvalidOptionsError(scheduleMessages.invalidCron(where, cron, problem));
  if (timeZone !== undefined && !isTimeZone(timeZone)) {
    throw new InvalidOptionsError(scheduleMessages.invalidTimeZone(where, timeZone));
  }
  return { pattern: cron, tz: timeZone ?? DEFAULT_TIME_ZONE };
}

/** The scheduler id: the given id (a name) or a random one, always in the runtime namespace. */
function idOf(where: string, id: unknown): string {
  if (id === undefined) return `${RUNTIME_SCHEDULER_ID_PREFIX}${randomUUID()}`;
  if (typeof id !== 'string' || !NAME_PATTERN.test(id)) {
    throw new InvalidOptionsError(
      optionMessages.invalidTaskOption(where, 'id', id, 'a name (letters, digits, "_", "-", ".")'),
    );
  }
  return `${RUNTIME_SCHEDULER_ID_PREFIX}${id}`;
}

/**
 * @internal Checks that `id` names a schedule made by `TaskQueue.schedule()`, before it is
 * removed.
 * @throws InvalidOptionsError for a decorator schedule's id, or any other id.
 */
export function checkRuntimeScheduleId(id: unknown): asserts id is string {
  if (typeof id === 'string' && id.startsWith(RUNTIME_SCHEDULER_ID_PREFIX)) return;
  const decorator = typeof id === 'string' && id.startsWith(SCHEDULER_ID_PREFIX);
  throw new InvalidOptionsError(producerMessages.notRuntimeScheduleId(id, decorator));
}
