import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import type { PreparedJob } from './prepared-job.js';
import type { PreparedFlow } from './task-flow.js';

/** @internal Values a job carries from its enqueuer's context to its run, by key. */
export type CarriedContext = Readonly<Record<string, unknown>>;

/**
 * @internal Where an enqueue reads what its jobs carry from the enqueuer's context (the CLS
 * keys of `cls.propagate`), once per call, whatever the number of jobs.
 */
export abstract class JobContextSource {
  /**
   * The values to carry for jobs of task `task`; `undefined` when there are none.
   * @throws InvalidPayloadError naming the key whose value is not plain data.
   */
  abstract capture(task: string): CarriedContext | undefined;

  /**
   * The transaction of the enqueuer's context that an enqueue by `method` joins, when no
   * `transaction` is given (`@Transactional()`, with `cls.transactions`); `undefined` if none.
   * @throws InvalidOptionsError when `method` cannot join one (`apply`, `map`), or it is unusable.
   */
  abstract transaction(task: string, method: EnqueueMethod): TaskTransaction | undefined;
}

/** @internal The `TaskQueue` method that enqueues. */
export type EnqueueMethod = 'enqueue' | 'enqueueMany' | 'enqueueFlow' | 'apply' | 'map';

/** @internal `job` carrying `carried` (a copy: a task's options are shared by its jobs). */
export function carry(job: PreparedJob, carried: CarriedContext | undefined): PreparedJob {
  return carried ? { ...job, opts: { ...job.opts, taskContext: carried } } : job;
}

/** @internal Every job of `flow` carrying `carried`. */
export function carryFlow(flow: PreparedFlow, carried: CarriedContext | undefined): PreparedFlow {
  if (!carried) return flow;
  return {
    ...flow,
    job: carry(flow.job, carried),
    children: flow.children.map((child) => carryFlow(child, carried)),
  };
}
