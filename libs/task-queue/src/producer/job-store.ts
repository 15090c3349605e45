import type { TaskJobInfo, TaskQueueStats } from '../interfaces/task-job.interface.js';
import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import type { TaskSchedule } from '../interfaces/task-schedule.interface.js';
import type { RuntimeSchedule } from '../scheduling/task-schedule.store.js';
import type { PreparedJob } from './prepared-job.js';
import type { PreparedFlow } from './task-flow.js';

/** @internal A job as a store accepted it: its id (BullMQ's `Job` is one). */
export interface StoredJob {
  readonly id?: string;
}

/**
 * @internal Where one queue's jobs live, behind {@link TaskQueue}: BullMQ on the configured
 * backend, or memory under the testing module. The queue checks every call (task, payload,
 * schema, options) before it reaches the store, so both see the same checked jobs.
 */
export interface QueueJobStore {
  /**
   * Adds `job`; with `transaction` (checked to have `query`), through it: the job exists once
   * that transaction commits, never if it rolls back. A store that cannot write through it
   * throws `InvalidOptionsError` saying what to configure; one given a transaction that is not
   * open, or not on the queues' database, throws `InvalidOptionsError` and writes nothing.
   */
  add(job: PreparedJob, transaction?: TaskTransaction): Promise<StoredJob>;
  /** Adds `jobs` in one round trip, through `transaction` as {@link add} does. */
  addBulk(jobs: PreparedJob[], transaction?: TaskTransaction): Promise<StoredJob[]>;
  /** Adds `job` and waits up to `timeoutSeconds` for its final outcome, as `apply` promises. */
  apply(job: PreparedJob, timeoutSeconds: number): Promise<unknown>;
  /**
   * Adds `jobs` in one round trip and waits up to `timeoutSeconds` for all their outcomes:
   * one promise per job, in order, each settling as `apply` does.
   */
  applyMany(jobs: PreparedJob[], timeoutSeconds: number): Promise<Promise<unknown>[]>;
  /** Adds the jobs of a checked flow, on their queues, atomically. */
  addFlow(flow: PreparedFlow, transaction?: TaskTransaction): Promise<void>;
  getJob(id: string): Promise<TaskJobInfo | undefined>;
  stats(): Promise<TaskQueueStats>;
  abort(id: string): Promise<boolean>;
  /** Every schedule of the queue, decorator and runtime, soonest first. */
  schedules(): Promise<TaskSchedule[]>;
  /** Creates or replaces the runtime schedule `schedule.id`. */
  schedule(schedule: RuntimeSchedule): Promise<void>;
  /** Removes runtime schedule `id`; `false` when there was none. */
  unschedule(id: string): Promise<boolean>;
}

/** @internal The job stores of an application's queues, by name (a Nest provider). */
export abstract class JobStore {
  abstract queue(name: string): QueueJobStore;
}
