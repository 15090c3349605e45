import type { DeduplicationOptions, JobsOptions } from 'bullmq';
import { InvalidOptionsError } from '../errors/index.js';
import type { EnqueueOptions } from '../interfaces/task-job.interface.js';
import { firstProblem, rules, type OptionRules } from '../options/option-rules.js';
import { messages } from '../task-queue.messages.js';

const ENQUEUE_RULES: OptionRules<EnqueueOptions> = [
  ['retries', rules.retries],
  ['delay', rules.seconds],
  ['timeout', rules.timeout],
  ['key', rules.string],
  ['keyTtl', rules.positiveSeconds],
  ['debounce', rules.boolean],
  ['priority', rules.priority],
];

/** Options of ours that BullMQ keeps with a job, read back by the worker. */
export interface TaskJobOptions extends JobsOptions {
  /** The job's own run timeout (ms). */
  taskTimeout?: number;
  /** On a schedule's template: skip a tick while another run of the schedule is active. */
  taskOverlap?: false;
  /** On a flow's parent: its children, as `<queue>:<id>`, in the order given. */
  taskChildren?: string[];
}

/**
 * @internal A task's job options with one enqueue's options on top, in BullMQ's terms (seconds
 * become milliseconds). Pure: no I/O.
 * @throws InvalidOptionsError naming the task, the option, its value and what was expected.
 */
export function toJobOptions(
  task: string,
  base: JobsOptions,
  options: EnqueueOptions | undefined,
): TaskJobOptions {
  if (!options) return base;
  const problem = firstProblem(options, ENQUEUE_RULES);
  if (problem) {
    const { option, value, expected } = problem;
    throw new InvalidOptionsError(messages.invalidEnqueueOption(task, option, value, expected));
  }
  const { retries, delay, timeout, priority } = options;
  const jobOptions: TaskJobOptions = { ...base };
  if (retries !== undefined) jobOptions.attempts = retries + 1;
  if (delay !== undefined) jobOptions.delay = Math.round(delay * 1000);
  if (timeout !== undefined) jobOptions.taskTimeout = Math.round(timeout * 1000);
  if (priority !== undefined) jobOptions.priority = toBullPriority(priority);
  const deduplication = deduplicationOf(task, options);
  if (deduplication) jobOptions.deduplication = deduplication;
  return jobOptions;
}

/** BullMQ's lowest priority: `2 ** 21 - 1` in BullMQ 6 (its docs say 2 097 152). */
const BULLMQ_LOWEST_PRIORITY = 2_097_151;

/**
 * @internal A checked priority (1 to 2 097 152, as the contract states) in BullMQ's range:
 * 2 097 152 shares BullMQ's lowest level with 2 097 151.
 */
export const toBullPriority = (priority: number): number =>
  Math.min(priority, BULLMQ_LOWEST_PRIORITY);

/**
 * BullMQ's deduplication for `key`, `keyTtl` and `debounce`: a key alone holds while its job is
 * unfinished; with `keyTtl` it holds that long (throttle); `debounce` replaces the delayed job
 * and starts its key's time again.
 * @throws InvalidOptionsError for a combination that does not make one of those three.
 */
function deduplicationOf(
  task: string,
  { key, keyTtl, debounce, delay }: EnqueueOptions,
): DeduplicationOptions | undefined {
  const misuse = (problem: string) => {
    throw new InvalidOptionsError(messages.invalidDeduplication(task, problem));
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
      messages.invalidEnqueueOption(task, 'timeout', timeout, problem.expected),
    );
  }
  return timeout as number;
}
