import { randomUUID } from 'node:crypto';
import { InvalidOptionsError } from '../errors/index.js';
import type { ScheduleOptions } from '../interfaces/task-schedule.interface.js';
import type { PreparedJob } from '../producer/prepared-job.js';
import {
  DEFAULT_TIME_ZONE,
  NAME_PATTERN,
  RUNTIME_SCHEDULER_ID_PREFIX,
} from '../task-queue.constants.js';
import { messages } from '../task-queue.messages.js';
import { cronProblem, everyProblem, isTimeZone } from './task-schedule.cron.js';
import { withOverlap, type RuntimeSchedule, type When } from './task-schedule.store.js';

/** @internal Checks a schedule's payload as an enqueue of its task is checked (the producer's). */
export type PrepareTick = (payload: object) => PreparedJob | Promise<PreparedJob>;

const KNOWN = new Set(['cron', 'every', 'timeZone', 'payload', 'id', 'overlap']);

/**
 * @internal Checks one `TaskQueue.schedule()` call as `@ScheduledTask()` and an enqueue are
 * checked (task, times, time zone, payload and schema, by `prepare`) and turns it into the
 * schedule to store; no backend call. Throws at once on bad input; returns a promise only for a task with a schema.
 * @throws UnknownTaskError, InvalidPayloadError, or InvalidOptionsError for the rest.
 */
export function checkRuntimeSchedule(
  prepare: PrepareTick,
  queue: string,
  name: string,
  options: ScheduleOptions,
): RuntimeSchedule | Promise<RuntimeSchedule> {
  const where = `schedule('${name}') on queue '${queue}'`;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionsError(messages.notScheduleOptions(where, options));
  }
  const prepared = prepare(options.payload ?? {});
  const when = whenOf(where, options);
  const id = idOf(where, options.id);
  if (options.overlap !== undefined && typeof options.overlap !== 'boolean') {
    throw new InvalidOptionsError(
      messages.invalidTaskOption(where, 'overlap', options.overlap, 'true or false'),
    );
  }
  const toSchedule = ({ data, opts }: PreparedJob): RuntimeSchedule => ({
    id,
    when,
    // In the JSON form every job's data takes (a Date becomes its ISO string).
    template: {
      name,
      data: JSON.parse(JSON.stringify(data)) as object,
      opts: withOverlap(opts, options.overlap),
    },
  });
  return prepared instanceof Promise ? prepared.then(toSchedule) : toSchedule(prepared);
}

/** A valid cron (in a known zone) or a valid interval, never both; no unknown option. */
function whenOf(where: string, options: ScheduleOptions): When {
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidOptionsError(messages.unknownScheduleOption(where, key));
  }
  const { cron, every, timeZone } = options;
  if (every !== undefined) {
    const problem = everyProblem(every);
    if (problem) throw new InvalidOptionsError(messages.invalidEvery(where, every, problem));
    if (cron !== undefined || timeZone !== undefined) {
      throw new InvalidOptionsError(messages.everyWithCron(where));
    }
    return { every: Math.round(every * 1000) };
  }
  if (cron === undefined) throw new InvalidOptionsError(messages.noRuntimeSchedule(where));
  const problem = cronProblem(cron);
  if (problem) throw new InvalidOptionsError(messages.invalidCron(where, cron, problem));
  if (timeZone !== undefined && !isTimeZone(timeZone)) {
    throw new InvalidOptionsError(messages.invalidTimeZone(where, timeZone));
  }
  return { pattern: cron, tz: timeZone ?? DEFAULT_TIME_ZONE };
}

/** The scheduler id: the given id (a name) or a random one, always in the runtime namespace. */
function idOf(where: string, id: unknown): string {
  if (id === undefined) return `${RUNTIME_SCHEDULER_ID_PREFIX}${randomUUID()}`;
  if (typeof id !== 'string' || !NAME_PATTERN.test(id)) {
    throw new InvalidOptionsError(
      messages.invalidTaskOption(where, 'id', id, 'a name (letters, digits, "_", "-", ".")'),
    );
  }
  return `${RUNTIME_SCHEDULER_ID_PREFIX}${id}`;
}
