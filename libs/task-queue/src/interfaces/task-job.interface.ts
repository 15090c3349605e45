/** Where a job is in its life. */
export type TaskJobStatus = 'queued' | 'scheduled' | 'active' | 'complete' | 'failed' | 'aborted';

/** What `stats()` reads: jobs per status (aborted ones count as `failed`) and workers. */
export interface TaskQueueStats {
  counts: Record<Exclude<TaskJobStatus, 'aborted'>, number>;
  /** Workers connected to the queue, in every process. */
  workers: number;
}

/** What `getJob()` reads back. */
export interface TaskJobInfo {
  id: string;
  name: string;
  queue: string;
  status: TaskJobStatus;
  /** The task's return value (`null` for `undefined` or while unfinished). */
  result: unknown;
  /** Message of the last failure, or `null`. */
  error: string | null;
  /** Runs started so far. */
  attempts: number;
  progress: number | object;
}

/** Handle returned by `enqueue()`. */
export interface EnqueuedJob {
  id: string;
  name: string;
  queue: string;
}

/** Per-enqueue options. Durations in seconds. */
export interface EnqueueOptions {
  /** Deduplication key: while a job with this key is unfinished, its id is returned. */
  key?: string;
  /** Seconds to wait before the job becomes ready. */
  delay?: number;
  /** Longest this run may take, in seconds; overrides the task's. */
  timeout?: number;
  /** Extra attempts after the first failure; overrides the task's. */
  retries?: number;
}

/** One job of `enqueueMany()`. */
export interface EnqueueItem {
  /** Task name, as `enqueue` takes it. */
  name: string;
  /** Plain data, passed to the task as its second parameter. Default `{}`. */
  payload?: object;
  options?: EnqueueOptions;
}

/** Options of `apply()`: enqueue options, where `timeout` is how long to wait for the outcome. */
export interface ApplyOptions extends Omit<EnqueueOptions, 'timeout'> {
  /** Seconds to wait for the final outcome. Default 60. */
  timeout?: number;
}
