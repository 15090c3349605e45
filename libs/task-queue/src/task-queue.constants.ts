/** Metadata key under which `@Task()` / `@ScheduledTask()` store their options on a method. */
export const TASK_METADATA = 'task-queue:task';

/** Metadata key of what one task method's parameters are given by their decorators. */
export const TASK_PARAM_TOKENS = 'task-queue:param-tokens';

/** Metadata key of the `@TaskInject()` tokens of one method's parameters. */
export const TASK_INJECT_TOKENS = 'task-queue:inject-tokens';

/** Token of the normalised module configuration (private to the library). */
export const TASK_QUEUE_CONFIG = Symbol('TASK_QUEUE_CONFIG');

/**
 * Token of the worker settings `runWorker` and the CLI give, over the module's `worker` option
 * (private to the library; provided by their wrapper module, absent otherwise).
 */
export const WORKER_OVERRIDE = Symbol('TASK_QUEUE_WORKER_OVERRIDE');

/** Token of the module's prom-client metrics, or why there are none (private to the library). */
export const JOB_METRICS = Symbol('JOB_METRICS');

/**
 * Injection token of the BullMQ job a per-job provider is being created for.
 *
 * @example
 * ```ts
 * @Injectable({ scope: Scope.REQUEST })
 * class AuditTrail {
 *   constructor(@Inject(TASK_JOB) private readonly job: Job) {}
 * }
 * ```
 */
export const TASK_JOB = 'TASK_JOB';

export const DEFAULT_CONNECTION = 'redis://127.0.0.1:6379';
export const DEFAULT_QUEUE = 'default';
export const DEFAULT_PREFIX = 'bull';
export const DEFAULT_CONCURRENCY = 10;
/** Seconds `apply()` waits for the outcome when no `timeout` is given. */
export const DEFAULT_APPLY_TIMEOUT = 60;
/**
 * How long an enqueue waits for a (re)connecting backend before it fails, in ms: a reconnect
 * after a blip lands well within it, and the caller hears of an outage in under 2 s.
 */
export const ENQUEUE_CONNECT_TIMEOUT_MS = 1500;

/** Largest payload accepted at enqueue, in bytes of its JSON: 10 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Letters, digits, `_`, `-`, `.`; starts with a letter or `_`; 1 to 100 characters. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/;

/** Finished jobs kept by default: completed ones for a day (at most 1000 per queue)... */
export const DEFAULT_KEEP_COMPLETED = { age: 24 * 3600, count: 1000 } as const;
/** ...failed ones for a week (at most 10000 per queue), long enough to investigate. */
export const DEFAULT_KEEP_FAILED = { age: 7 * 24 * 3600, count: 10_000 } as const;

/** Seconds a run may take when neither the task nor the enqueue sets a timeout. */
export const DEFAULT_TIMEOUT = 300;
/** Cap of an exponential retry delay when `retryBackoff: true` names none, in seconds. */
export const DEFAULT_BACKOFF_CAP = 3600;
/** BullMQ backoff type under which the worker computes a task's retry delay. */
export const BACKOFF_TYPE = 'task-queue';
/** `failedReason` of an aborted job, and BullMQ's deferred-failure mark of a queued one. */
export const ABORTED_REASON = 'Aborted by TaskQueue.abort()';
/** Reason BullMQ's job signals are aborted with when the grace period of a shutdown runs out. */
export const SHUTDOWN_REASON = 'Worker shutting down';
/** Seconds active jobs get to finish on shutdown before they are put back on their queue. */
export const DEFAULT_SHUTDOWN_GRACE_PERIOD = 25;
/**
 * Times a job may be cut off by a crashed worker (found by BullMQ's stalled-job check) and still
 * run again; BullMQ's default of 1 would fail a job caught by two crashes or deploys in a row.
 */
export const MAX_STALLED_COUNT = 3;
/** Time zone a `@ScheduledTask()` cron is read in when it names none. */
export const DEFAULT_TIME_ZONE = 'UTC';
/**
 * Id prefix of the BullMQ job schedulers this library creates (`task-queue:<task name>`): it
 * marks them as ours, so reconciling never touches a scheduler created by other code. Task
 * names cannot contain `:`, so the rest of the id is always the task name.
 */
export const SCHEDULER_ID_PREFIX = 'task-queue:';
/**
 * Id prefix of the job schedulers made by `TaskQueue.schedule()` (`task-queue-runtime:<id>`):
 * never a decorator schedule's id, so the boot-time reconcile, which reads only
 * {@link SCHEDULER_ID_PREFIX}, leaves them alone.
 */
export const RUNTIME_SCHEDULER_ID_PREFIX = 'task-queue-runtime:';
/** How long one process may hold a Redis lock (a queue's reconcile) before others take over, in ms. */
export const SCHEDULE_LOCK_TTL_MS = 15_000;
/**
 * A schedule created or changed at boot starts at least this long after (ms). An upsert's first
 * tick is computed on the client: without a margin it may name a tick that another process's
 * worker is starting at that moment under the old pattern, and BullMQ would add that job again.
 */
export const SCHEDULE_START_MARGIN_MS = 1000;
