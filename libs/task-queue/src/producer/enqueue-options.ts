import type { JobsOptions } from 'bullmq';
import { InvalidOptionsError } from '../errors/index.js';
import type { EnqueueOptions } from '../interfaces/task-job.interface.js';
import { firstProblem, rules, type OptionRules } from '../options/option-rules.js';
import { messages } from '../task-queue.messages.js';

const ENQUEUE_RULES: OptionRules<EnqueueOptions> = [
  ['retries', rules.retries],
  ['delay', rules.seconds],
  ['timeout', rules.timeout],
  ['key', rules.string],
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
  const { retries, delay, timeout, key } = options;
  const jobOptions: TaskJobOptions = { ...base };
  if (retries !== undefined) jobOptions.attempts = retries + 1;
  if (delay !== undefined) jobOptions.delay = Math.round(delay * 1000);
  if (timeout !== undefined) jobOptions.taskTimeout = Math.round(timeout * 1000);
  if (key !== undefined) jobOptions.deduplication = { id: key };
  return jobOptions;
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
