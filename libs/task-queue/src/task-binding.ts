import type { JobsOptions } from 'bullmq';
import { TaskDefinitionError } from './errors/index.js';
import type { TaskMetadata } from './interfaces/task-options.interface.js';
import { toDefinition } from './task-catalogue.js';
import type { TaskQueueConfig } from './task-queue.config.js';
import {
  DEFAULT_KEEP_COMPLETED,
  DEFAULT_KEEP_FAILED,
  DEFAULT_TIME_ZONE,
  NAME_PATTERN,
} from './task-queue.constants.js';
import { messages } from './task-queue.messages.js';
import { cronProblem, isTimeZone } from './task-schedule.cron.js';
import type { BoundTask } from './task.registry.js';

/** @internal A decorated method as the explorer found it. */
export interface DiscoveredTask {
  className: string;
  methodName: string;
  meta: TaskMetadata;
  /** Number of parameters the method declares. */
  parameterCount: number;
  run: BoundTask['run'];
}

type Check = (value: unknown) => boolean;
const isNonNegativeNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isPositiveNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isNonNegativeInteger: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const isPlainRecord: Check = (v) =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

const OPTION_CHECKS: [keyof TaskMetadata, Check, string][] = [
  ['timeout', isPositiveNumber, 'a positive number of seconds'],
  ['retries', isNonNegativeInteger, 'a whole number of extra attempts (0 or more)'],
  ['retryDelay', isNonNegativeNumber, 'a number of seconds (0 or more)'],
  [
    'retryBackoff',
    (v) => typeof v === 'boolean' || isPositiveNumber(v),
    'a boolean or a cap in seconds',
  ],
  ['kwargs', isPlainRecord, 'a plain object of default payload fields'],
];

/** @internal Checks a discovered task against the configuration and prepares it to run. */
export function bindTask(found: DiscoveredTask, config: TaskQueueConfig): BoundTask {
  const where = `${found.className}.${found.methodName}`;
  const { meta } = found;
  const name = meta.name ?? found.methodName;
  const queue = meta.queue ?? config.defaultQueue;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new TaskDefinitionError(messages.invalidTaskName(where, name));
  }
  if (typeof queue !== 'string' || !NAME_PATTERN.test(queue)) {
    throw new TaskDefinitionError(messages.invalidQueueName(where, queue));
  }
  if (!config.queues.has(queue)) {
    throw new TaskDefinitionError(messages.undeclaredQueue(where, queue, config.queues.keys()));
  }
  for (const [option, check, expected] of OPTION_CHECKS) {
    if (meta[option] !== undefined && !check(meta[option])) {
      throw new TaskDefinitionError(
        messages.invalidTaskOption(where, option, meta[option], expected),
      );
    }
  }
  // `@ScheduledTask()` always records a `cron` key, so a missing pattern is caught too.
  const scheduled = 'cron' in meta || meta.timeZone !== undefined;
  if (scheduled) {
    const problem = cronProblem(meta.cron);
    if (problem) throw new TaskDefinitionError(messages.invalidCron(where, meta.cron, problem));
    if (meta.timeZone !== undefined && !isTimeZone(meta.timeZone)) {
      throw new TaskDefinitionError(messages.invalidTimeZone(where, meta.timeZone));
    }
  }
  if (found.parameterCount > 2) {
    throw new TaskDefinitionError(messages.injectedParametersUnsupported(where));
  }
  return {
    definition: toDefinition(
      name,
      queue,
      found.className,
      found.methodName,
      scheduled ? { ...meta, timeZone: meta.timeZone ?? DEFAULT_TIME_ZONE } : meta,
    ) as BoundTask['definition'],
    kwargs: meta.kwargs,
    jobOptions: Object.freeze(jobOptionsOf(meta)),
    run: found.run,
  };
}

/** BullMQ options that follow from a task's declaration (seconds become milliseconds). */
function jobOptionsOf(meta: TaskMetadata): JobsOptions {
  const options: JobsOptions = {
    attempts: (meta.retries ?? 0) + 1,
    removeOnComplete: DEFAULT_KEEP_COMPLETED,
    removeOnFail: DEFAULT_KEEP_FAILED,
  };
  if (meta.retries && (meta.retryDelay || meta.retryBackoff)) {
    const delay = Math.round((meta.retryDelay ?? 1) * 1000);
    options.backoff = meta.retryBackoff
      ? { type: 'exponential', delay, jitter: 0.5 }
      : { type: 'fixed', delay };
  }
  return options;
}
