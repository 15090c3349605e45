import { InvalidOptionsError } from '../errors/index.js';
import type { EnqueueOptions } from '../interfaces/task-job.interface.js';
import { firstProblem, rules, toJobPriority, type OptionRules } from '../options/option-rules.js';
import { producerMessages } from './producer.messages.js';
import type { JobDeduplication, TaskJobOptions } from './job-settings.js';

const ENQUEUE_RULES: OptionRules<EnqueueOptions> = [
  ['retries', rules.retries],
  ['delay', rules.seconds],
  ['timeout', rules.timeout],
  ['key', rules.string],
  ['keyTtl', rules.positiveSeconds],
  ['debounce', rules.boolean],
  ['priority', rules.priority],
];

/**
 * @internal A task's job settings with one enqueue's options on top (seconds become
 * milliseconds). Pure: no I/O; without options, the task's own object as it is.
 * @throws InvalidOptionsError naming the task, the option, its value and what was expected.
 */
export function toJobOptions(
  task: string,
  base: TaskJobOptions,
  options: EnqueueOptions | undefined,
): TaskJobOptions {
  if (!options) return base;
  const problem = firstProblem(options, ENQUEUE_RULES);
  if (problem) {
    const { option, value, expected } = problem;
    throw new InvalidOptionsError(
      producerMessages.invalidEnqueueOption(task, option, value, expected),
    );
  }
  const { retries, delay, timeout, priority } = options;
  const jobOptions: TaskJobOptions = { ...base };
  if (retries !== undefined) jobOptions.attempts = retries + 1;
  if (delay !== undefined) jobOptions.delay = Math.round(delay * 1000);
  if (timeout !== undefined) jobOptions.taskTimeout = Math.round(timeout * 1000);
  if (priority !== undefined) jobOptions.priority = toJobPriority(priority);
  const deduplication = deduplicationOf(task, options);
  if (deduplication) jobOptions.deduplication = deduplication;
  return jobOptions;
}

/**
 * The deduplication for `key`, `keyTtl` and `debounce`: a key alone holds while its job is
 * unfinished; with `keyTtl` it holds that long (throttle); `debounce` replaces the delayed job
 * and starts its key's time again.
 * @throws InvalidOptionsError for a combination that does not make one of those three.
 */
function deduplicationOf(
  task: string,
  { key, keyTtl, debounce, delay }: EnqueueOptions,
): JobDeduplication | undefined {
  const misuse = (problem: string) => {
    throw new InvalidOptionsError(producerMessages.invalidDeduplication(task, problem));
  };
  if (key === undefined) {
    if (debounce) misuse(`'debounce' is set without 'key'`);
    if (keyTtl !== undefined) misuse(`'keyTtl' is set without 'key'`);
    return undefined;
  }
  if (!debounce) {
    return keyTtl === undefined ? { id: key } : { id: key, ttl: Math.round(keyTtl * 1000) };
  }
  if (keyTtl === undefined) misuse(`'debounce' needs 'keyTtl'`);
  if (!delay) misuse(`'debounce' needs a 'delay' (seconds, more than 0)`);
  return { id: key, ttl: Math.round(keyTtl! * 1000), extend: true, replace: true };
}

/**
 * @internal How long `apply` waits, in seconds, checked.
 * @throws InvalidOptionsError when it is not a positive number.
 */
export function applyWaitOf(task: string, timeout: unknown): number {
  const problem = firstProblem({ timeout }, [['timeout', rules.waitSeconds]]);
  if (problem) {
    throw new InvalidOptionsError(
      producerMessages.invalidEnqueueOption(task, 'timeout', timeout, problem.expected),
    );
  }
  return timeout as number;
}
