import { TaskDefinitionError } from '../errors/index.js';
import type { KeepJobs, TaskMetadata } from '../interfaces/task-options.interface.js';
import { firstProblem, rules, toJobPriority, type OptionRules } from '../options/option-rules.js';
import { cronProblem, everyProblem, isTimeZone } from '../options/schedule-rules.js';
import { toDefinition } from './task-catalogue.js';
import type { JobRetention, TaskJobOptions } from '../producer/job-settings.js';
import { checkRetention } from '../options/retention-rules.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import {
  BACKOFF_TYPE,
  DEFAULT_BACKOFF_CAP,
  DEFAULT_TIME_ZONE,
  NAME_PATTERN,
} from '../task-queue.constants.js';
import { discoveryMessages } from './discovery.messages.js';
import { optionMessages } from '../options/options.messages.js';
import { scheduleMessages } from '../options/schedule.messages.js';
import type { BoundTask } from './task.registry.js';

/** @internal A decorated method as the explorer found it. */
export interface DiscoveredTask {
  /** The provider class. */
  type: object;
  className: string;
  methodName: string;
  meta: TaskMetadata;
  invoke: BoundTask['invoke'];
}

const OPTION_RULES: OptionRules<TaskMetadata> = [
  ['timeout', rules.timeout],
  ['retries', rules.retries],
  ['retryDelay', rules.seconds],
  ['retryBackoff', rules.backoff],
  ['retryOnTimeout', rules.boolean],
  ['priority', rules.priority],
  ['kwargs', rules.plainObject],
  ['schema', rules.standardSchema],
];

/** @internal Checks a discovered task against the configuration and prepares it to run. */
export function bindTask(found: DiscoveredTask, config: TaskQueueConfig): BoundTask {
  const where = `${found.className}.${found.methodName}`;
  const { meta } = found;
  const name = meta.name ?? found.methodName;
  const queue = meta.queue ?? config.defaultQueue;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new TaskDefinitionError(optionMessages.invalidTaskName(where, name));
  }
  if (typeof queue !== 'string' || !NAME_PATTERN.test(queue)) {
    throw new TaskDefinitionError(optionMessages.invalidQueueName(where, queue));
  }
  if (!config.queues.has(queue)) {
    throw new TaskDefinitionError(
      discoveryMessages.undeclaredQueue(where, queue, config.queues.keys()),
    );
  }
  const problem = firstProblem(meta, OPTION_RULES);
  if (problem) {
    const { option, value, expected } = problem;
    throw new TaskDefinitionError(optionMessages.invalidTaskOption(where, option, value, expected));
  }
  const retention = checkRetention(meta.retention);
  if (retention) {
    throw new TaskDefinitionError(
      optionMessages.invalidTaskOption(
        where,
        `retention${retention.path}`,
        retention.value,
        retention.expected,
      ),
    );
  }
  const scheduled = meta.scheduled === true || meta.timeZone !== undefined;
  if (scheduled) checkSchedule(where, meta);
  return {
    definition: toDefinition(
      name,
      queue,
      found.className,
      found.methodName,
      scheduled && meta.every === undefined
        ? { ...meta, timeZone: meta.timeZone ?? DEFAULT_TIME_ZONE }
        : meta,
    ) as BoundTask['definition'],
    kwargs: meta.kwargs,
    schema: meta.schema,
    timeoutMs: Math.round((meta.timeout ?? config.defaultTimeout) * 1000),
    retryOnTimeout: meta.retryOnTimeout ?? true,
    retryDelayMs: retryDelayOf(meta),
    jobOptions: Object.freeze(jobOptionsOf(meta, config)),
    type: found.type,
    methodName: found.methodName,
    invoke: found.invoke,
  };
}

/** The job settings that follow from a task's declaration (seconds become milliseconds). */
function jobOptionsOf(meta: TaskMetadata, config: TaskQueueConfig): TaskJobOptions {
  const options: TaskJobOptions = {
    attempts: (meta.retries ?? 0) + 1,
    removeOnComplete: toRetention(meta.retention?.completed ?? config.retention.completed),
    removeOnFail: toRetention(meta.retention?.failed ?? config.retention.failed),
  };
  // The worker computes the delay (see retryDelayOf); an enqueue may add retries later.
  if (meta.retryDelay || meta.retryBackoff) options.backoff = { type: BACKOFF_TYPE };
  if (meta.priority !== undefined) options.priority = toJobPriority(meta.priority);
  return options;
}

/** A retention limit as a job carries it; no limit at all keeps every job. */
function toRetention({ age, count }: KeepJobs): JobRetention {
  if (age !== undefined) return { age, count };
  return count !== undefined ? { count } : false;
}

/**
 * Milliseconds before retry number `retry` (1 for the first): `retryDelay`, or with
 * `retryBackoff` that delay doubled at each retry, capped, with "equal jitter" (between half
 * and all of it) so that jobs failing together do not retry together.
 */
function retryDelayOf(meta: TaskMetadata): (retry: number) => number {
  const base = (meta.retryDelay ?? (meta.retryBackoff ? 1 : 0)) * 1000;
  if (!meta.retryBackoff) return () => base;
  const cap = (meta.retryBackoff === true ? DEFAULT_BACKOFF_CAP : meta.retryBackoff) * 1000;
  return (retry) => {
    const delay = Math.min(cap, base * 2 ** (retry - 1));
    return Math.round(delay / 2 + Math.random() * (delay / 2));
  };
}

/** A schedule is a valid cron (in a known zone) or a valid interval, never both. */
function checkSchedule(where: string, meta: TaskMetadata): void {
  if (meta.overlap !== undefined && typeof meta.overlap !== 'boolean') {
    throw new TaskDefinitionError(
      optionMessages.invalidTaskOption(where, 'overlap', meta.overlap, 'true or false'),
    );
  }
  if (meta.every !== undefined) {
    const problem = everyProblem(meta.every);
    if (problem)
      throw new TaskDefinitionError(scheduleMessages.invalidEvery(where, meta.every, problem));
    if (meta.cron !== undefined || meta.timeZone !== undefined) {
      throw new TaskDefinitionError(scheduleMessages.everyWithCron(where));
    }
    return;
  }
  if (meta.cron === undefined) throw new TaskDefinitionError(scheduleMessages.noSchedule(where));
  const problem = cronProblem(meta.cron);
  if (problem)
    throw new TaskDefinitionError(scheduleMessages.invalidCron(where, meta.cron, problem));
  if (meta.timeZone !== undefined && !isTimeZone(meta.timeZone)) {
    throw new TaskDefinitionError(scheduleMessages.invalidTimeZone(where, meta.timeZone));
  }
}
