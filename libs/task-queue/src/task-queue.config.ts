import { resolveBackendOptions, type BackendOptions } from './backends/backend-options.js';
import { resolveClsConfig, type ClsConfig } from './cls/cls.config.js';
import { resolveOutbox, type OutboxConfig } from './backends/outbox/outbox.options.js';
import { TaskQueueConfigError } from './errors/index.js';
import { fromSharedBullConfig } from './nest-bullmq/nest-bullmq.shared-config.js';
import { firstProblem, rules, type OptionRules } from './options/option-rules.js';
import { queueSettingsProblem, type QueueLimits } from './options/queue-settings.js';
import { checkRetention } from './options/retention-rules.js';
import type { RetentionOptions } from './interfaces/task-options.interface.js';
import type {
  QueueSettings,
  TaskQueueModuleOptions,
  WorkerSettings,
} from './interfaces/task-queue-options.interface.js';
import type { TaskQueueMetricsOptions } from './interfaces/task-queue-metrics-options.interface.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_CONNECTION,
  DEFAULT_KEEP_COMPLETED,
  DEFAULT_KEEP_FAILED,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_PREFIX,
  DEFAULT_QUEUE,
  DEFAULT_SHUTDOWN_GRACE_PERIOD,
  DEFAULT_TIMEOUT,
  NAME_PATTERN,
} from './task-queue.constants.js';
import { optionMessages } from './options/options.messages.js';

/**
 * @internal What `runWorker` (or the CLI) says about this process's workers, over the module's
 * own `worker` option: these settings, or `false` for no workers at all.
 */
export type WorkerOverride = WorkerSettings | false;

/** @internal The module options, checked and with defaults applied. */
export interface TaskQueueConfig {
  /** The backend the connection names, with its namespace. */
  backend: BackendOptions;
  /** Seconds to wait for the backend at bootstrap before failing it; unset: boot anyway. */
  failFast: number | undefined;
  /** PostgreSQL: run BullMQ's migrations at start (and the outbox's, on Redis). */
  migrate: boolean;
  /** Redis: the application's PostgreSQL, where transactional enqueues write their jobs. */
  outbox: OutboxConfig | undefined;
  /** Queue name → concurrency, in configuration order. */
  queues: ReadonlyMap<string, number>;
  /** Queue name → its rate limit and global concurrency, for the queues that set either. */
  limits: ReadonlyMap<string, QueueLimits>;
  /** Queue name → jobs its workers claim ahead of their free slots, for the queues that do. */
  prefetch: ReadonlyMap<string, number>;
  defaultQueue: string;
  /** Queues this process runs workers for (empty when `worker: false`). */
  workerQueues: readonly string[];
  /** Seconds a run may take when its task sets no timeout; 0 = no limit. */
  defaultTimeout: number;
  /** Seconds active jobs get to finish on shutdown. */
  shutdownGracePeriod: number;
  retention: Required<RetentionOptions>;
  /** Largest payload accepted at enqueue, in bytes of its JSON. */
  maxPayloadBytes: number;
  /** Whether the finished-job log line carries the payload. */
  logPayloads: boolean;
  /** How the finished-job log line is written: `key=value` text, or an object (JSON loggers). */
  jobLog: 'text' | 'json';
  /** Where the prom-client metrics go (`registry` unset: prom-client's default), or off. */
  metrics: TaskQueueMetricsOptions | false;
  /** How per-job providers are made: compiled factories where possible, or Nest's injector. */
  perJobProviders: 'compiled' | 'injector';
  /** Whether `@nestjs/schedule`'s `@Cron()` / `@Interval()` methods run as scheduled tasks. */
  schedule: 'distributed' | undefined;
  /** What runs and enqueues do with `nestjs-cls`'s context. */
  cls: ClsConfig;
}

const fail = (option: string, value: unknown, expected: string): never => {
  throw new TaskQueueConfigError(optionMessages.invalidOption(option, value, expected));
};

/** The module's scalar options, checked before anything else. */
const MODULE_RULES: OptionRules<TaskQueueModuleOptions> = [
  ['prefix', rules.nonEmptyString],
  ['failFast', rules.positiveSeconds],
  ['migrate', rules.boolean],
  ['defaultTimeout', rules.timeout],
  ['shutdownGracePeriod', rules.seconds],
  ['maxPayloadBytes', rules.positiveBytes],
  ['logPayloads', rules.boolean],
];

/**
 * @internal Validates module options and applies the defaults of the API contract. Without a
 * `connection`, the one `BullModule.forRoot()` of `@nestjs/bullmq` shares (`bullShared`, if the
 * application registered one) is the default, with its prefix. A `workerOverride` (from
 * `runWorker`) takes the place of the `worker` option.
 */
export function resolveConfig(
  options: TaskQueueModuleOptions = {},
  bullShared?: unknown,
  workerOverride?: WorkerOverride,
): TaskQueueConfig {
  const problem = firstProblem(options, MODULE_RULES);
  if (problem) fail(problem.option, problem.value, problem.expected);
  const shared = options.connection === undefined ? fromSharedBullConfig(bullShared) : {};
  const connection = options.connection ?? shared.connection ?? DEFAULT_CONNECTION;
  const prefix = options.prefix ?? shared.prefix;
  const backend = resolveBackendOptions(connection, prefix, DEFAULT_PREFIX);
  const outbox = resolveOutbox(options.outbox, backend.kind);

  const queues = new Map<string, number>();
  const limits = new Map<string, QueueLimits>();
  const prefetch = new Map<string, number>();
  const declared = options.queues ?? [DEFAULT_QUEUE];
  const entries: [string, QueueSettings][] = Array.isArray(declared)
    ? declared.map((name) => [name, {}])
    : typeof declared === 'object' && declared
      ? Object.entries(declared).map(([name, settings]) => [name, settings ?? {}])
      : fail('queues', declared, 'an array of queue names or { name: { concurrency } }');
  if (entries.length === 0) fail('queues', declared, 'at least one queue');
  for (const [name, settings] of entries) {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new TaskQueueConfigError(
        optionMessages.invalidQueueName('TaskQueueModule: queues', name),
      );
    }
    const { concurrency, rateLimit, globalConcurrency } = settings;
    if (concurrency !== undefined && !rules.positiveInteger.check(concurrency)) {
      fail(`queues.${name}.concurrency`, concurrency, rules.positiveInteger.expected);
    }
    const problem = queueSettingsProblem(name, settings);
    if (problem) fail(problem.option, problem.value, problem.expected);
    if (settings.prefetch) prefetch.set(name, settings.prefetch);
    // PGlite lives in this one process, so a limit across processes is this worker's own: it
    // caps the worker's concurrency, which costs no query per claim.
    if (backend.kind === 'pglite' && globalConcurrency !== undefined) {
      queues.set(name, Math.min(concurrency ?? DEFAULT_CONCURRENCY, globalConcurrency));
      if (rateLimit) limits.set(name, { rateLimit });
      continue;
    }
    queues.set(name, concurrency ?? DEFAULT_CONCURRENCY);
    if (rateLimit || globalConcurrency) limits.set(name, { rateLimit, globalConcurrency });
  }

  const defaultQueue = options.defaultQueue ?? DEFAULT_QUEUE;
  if (!queues.has(defaultQueue)) {
    throw new TaskQueueConfigError(
      optionMessages.defaultQueueNotConfigured(defaultQueue, queues.keys()),
    );
  }

  const workerQueues =
    workerOverride === undefined
      ? workerQueuesOf(options.worker ?? true, queues, 'worker')
      : workerQueuesOf(workerOverride, queues, 'runWorker');

  const { perJobProviders = 'compiled' } = options;
  if (perJobProviders !== 'compiled' && perJobProviders !== 'injector') {
    fail('perJobProviders', perJobProviders, "'compiled' or 'injector'");
  }
  const { jobLog = 'text', metrics = {} } = options;
  if (jobLog !== 'text' && jobLog !== 'json') fail('jobLog', jobLog, "'text' or 'json'");
  checkMetrics(metrics);
  if (options.schedule !== undefined && options.schedule !== 'distributed') {
    throw new TaskQueueConfigError(optionMessages.invalidSchedule(options.schedule));
  }
  const retentionError = checkRetention(options.retention);
  if (retentionError)
    fail(`retention${retentionError.path}`, retentionError.value, retentionError.expected);
  const retention = {
    completed: options.retention?.completed ?? DEFAULT_KEEP_COMPLETED,
    failed: options.retention?.failed ?? DEFAULT_KEEP_FAILED,
  };

  return {
    backend,
    failFast: options.failFast,
    migrate: options.migrate ?? true,
    outbox,
    queues,
    limits,
    prefetch,
    defaultQueue,
    workerQueues,
    defaultTimeout: options.defaultTimeout ?? DEFAULT_TIMEOUT,
    shutdownGracePeriod: options.shutdownGracePeriod ?? DEFAULT_SHUTDOWN_GRACE_PERIOD,
    retention,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    logPayloads: options.logPayloads ?? false,
    jobLog,
    metrics,
    perJobProviders,
    schedule: options.schedule,
    cls: resolveClsConfig(options.cls),
  };
}

/**
 * The queues `worker` has this process work on, with its concurrency applied to `queues`;
 * `source` says where the setting came from, for the errors.
 */
function workerQueuesOf(
  worker: unknown,
  queues: Map<string, number>,
  source: 'worker' | 'runWorker',
): string[] {
  if (worker === true) return [...queues.keys()];
  if (worker === false) return [];
  if (typeof worker !== 'object' || worker === null) {
    return fail('worker', worker, 'true, false or { queues?, concurrency? }');
  }
  const settings = worker as WorkerSettings;
  if (settings.queues !== undefined && !Array.isArray(settings.queues)) {
    fail('worker.queues', settings.queues, 'an array of queue names');
  }
  const workerQueues = settings.queues ?? [...queues.keys()];
  for (const queue of workerQueues) {
    if (!queues.has(queue)) {
      throw new TaskQueueConfigError(
        source === 'worker'
          ? optionMessages.workerQueueNotConfigured(queue, queues.keys())
          : optionMessages.runWorkerQueueNotConfigured(queue, queues.keys()),
      );
    }
  }
  if (settings.concurrency !== undefined) {
    if (!rules.positiveInteger.check(settings.concurrency)) {
      fail('worker.concurrency', settings.concurrency, rules.positiveInteger.expected);
    }
    for (const queue of workerQueues) queues.set(queue, settings.concurrency);
  }
  return [...workerQueues];
}

function checkMetrics(metrics: unknown): void {
  if (metrics === false) return;
  if (typeof metrics !== 'object' || metrics === null) {
    fail('metrics', metrics, '{ registry? } or false');
  }
  const { registry } = metrics as { registry?: Record<string, unknown> };
  if (registry === undefined) return;
  const methods = ['metrics', 'getSingleMetric', 'registerMetric'];
  if (typeof registry !== 'object' || methods.some((m) => typeof registry[m] !== 'function')) {
    fail('metrics.registry', registry, "a prom-client Registry (new Registry() or 'register')");
  }
}
