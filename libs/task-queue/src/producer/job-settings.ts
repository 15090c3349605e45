/**
 * @internal How many finished jobs a store keeps: all (`false`), none (`true`), the last
 * `count`, or those younger than `age` seconds (at most `count` of them).
 */
export type JobRetention = boolean | number | { age: number; count?: number } | { count: number };

/**
 * @internal The deduplication of a job's `key`: `id` is the key; with `ttl` (ms) it holds that
 * long whether the job finished or not; `extend` and `replace` make it a debounce (each
 * duplicate restarts the time and replaces the delayed job).
 */
export interface JobDeduplication {
  id: string;
  ttl?: number;
  extend?: boolean;
  replace?: boolean;
}

/**
 * @internal What a prepared job carries besides its name and payload: a task's settings (built
 * once per task at bootstrap) with one enqueue's options on top. Times are in milliseconds.
 * The names and units are those the BullMQ job stores take, so an enqueue hands this object
 * over as it is, with no copy per job; `backends/bullmq.job-options.ts` checks at compile time
 * that BullMQ accepts it.
 */
export interface TaskJobOptions {
  /** The job's id; the store gives one when unset. */
  jobId?: string;
  /** Runs allowed in all: retries + 1. */
  attempts?: number;
  /** Set when the task retries after a delay; the worker computes the delay. */
  backoff?: { type: string };
  /** Wait before the job becomes ready (ms). */
  delay?: number;
  /** 1 is the most urgent; unset runs before any prioritized job. */
  priority?: number;
  deduplication?: JobDeduplication;
  removeOnComplete?: JobRetention;
  removeOnFail?: JobRetention;
  /** On a flow's child: its failure for good fails its parent. */
  failParentOnFailure?: boolean;
  /** The job's own run timeout (ms). */
  taskTimeout?: number;
  /** On a schedule's template: skip a tick while another run of the schedule is active. */
  taskOverlap?: false;
  /** On a flow's parent: its children, as `<queue>:<id>` ({@link childRef}), in the order given. */
  taskChildren?: string[];
  /** The enqueuer's CLS values (`cls.propagate`) that the job carries to its run. */
  taskContext?: Readonly<Record<string, unknown>>;
  /** The trace context the job carries to its run (W3C `traceparent`), set by tracing. */
  telemetry?: { metadata?: string; omitContext?: boolean };
}

/** @internal A flow child's reference in its parent's `taskChildren`: `<queue>:<id>`. */
export const childRef = (queue: string, id: string): string => `${queue}:${id}`;
