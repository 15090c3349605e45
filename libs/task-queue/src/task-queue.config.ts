import { resolveBackendOptions, type BackendOptions } from './backends/backend-options.js';
import { TaskQueueConfigError } from './errors/index.js';
import type { RetentionOptions } from './interfaces/task-options.interface.js';
import type {
  TaskQueueConnection,
  TaskQueueModuleOptions,
} from './interfaces/task-queue-options.interface.js';
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
import { messages } from './task-queue.messages.js';

/** @internal The module options, checked and with defaults applied. */
export interface TaskQueueConfig {
  connection: TaskQueueConnection;
  /** The backend the connection names, with its namespace. */
  backend: BackendOptions;
  /** PostgreSQL: run BullMQ's migrations at start. */
  migrate: boolean;
  /** Queue name → concurrency, in configuration order. */
  queues: ReadonlyMap<string, number>;
  defaultQueue: string;
  prefix: string;
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
}

const fail = (option: string, value: unknown, expected: string): never => {
  throw new TaskQueueConfigError(messages.invalidOption(option, value, expected));
};

const isNonNegativeNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;

/** @internal Validates module options and applies the defaults of the API contract. */
export function resolveConfig(options: TaskQueueModuleOptions = {}): TaskQueueConfig {
  const connection = options.connection ?? DEFAULT_CONNECTION;
  if (options.prefix !== undefined && (typeof options.prefix !== 'string' || !options.prefix)) {
    fail('prefix', options.prefix, 'a non-empty string');
  }
  const backend = resolveBackendOptions(connection, options.prefix, DEFAULT_PREFIX);
  const migrate = options.migrate ?? true;
  if (typeof migrate !== 'boolean') fail('migrate', migrate, 'true or false');

  const queues = new Map<string, number>();
  const declared = options.queues ?? [DEFAULT_QUEUE];
  const entries: [string, number | undefined][] = Array.isArray(declared)
    ? declared.map((name) => [name, undefined])
    : typeof declared === 'object' && declared
      ? Object.entries(declared).map(([name, settings]) => [name, settings?.concurrency])
      : fail('queues', declared, 'an array of queue names or { name: { concurrency } }');
  if (entries.length === 0) fail('queues', declared, 'at least one queue');
  for (const [name, concurrency] of entries) {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new TaskQueueConfigError(messages.invalidQueueName('TaskQueueModule: queues', name));
    }
    if (concurrency !== undefined && !isPositiveInteger(concurrency)) {
      fail(`queues.${name}.concurrency`, concurrency, 'a positive integer');
    }
    queues.set(name, concurrency ?? DEFAULT_CONCURRENCY);
  }

  const defaultQueue = options.defaultQueue ?? DEFAULT_QUEUE;
  if (!queues.has(defaultQueue)) {
    throw new TaskQueueConfigError(messages.defaultQueueNotConfigured(defaultQueue, queues.keys()));
  }

  const prefix = options.prefix ?? DEFAULT_PREFIX;

  const worker = options.worker ?? true;
  let workerQueues: string[] = [];
  if (worker === true) {
    workerQueues = [...queues.keys()];
  } else if (typeof worker === 'object' && worker) {
    workerQueues = worker.queues ?? [...queues.keys()];
    for (const queue of workerQueues) {
      if (!queues.has(queue)) {
        throw new TaskQueueConfigError(messages.workerQueueNotConfigured(queue, queues.keys()));
      }
    }
    if (worker.concurrency !== undefined) {
      if (!isPositiveInteger(worker.concurrency)) {
        fail('worker.concurrency', worker.concurrency, 'a positive integer');
      }
      for (const queue of workerQueues) queues.set(queue, worker.concurrency);
    }
  } else if (worker !== false) {
    fail('worker', worker, 'true, false or { queues?, concurrency? }');
  }

  const defaultTimeout = options.defaultTimeout ?? DEFAULT_TIMEOUT;
  if (!(
    typeof defaultTimeout === 'number' &&
    Number.isFinite(defaultTimeout) &&
    defaultTimeout >= 0
  )) {
    fail('defaultTimeout', defaultTimeout, 'a number of seconds (0 for no limit)');
  }
  const shutdownGracePeriod = options.shutdownGracePeriod ?? DEFAULT_SHUTDOWN_GRACE_PERIOD;
  if (!isNonNegativeNumber(shutdownGracePeriod)) {
    fail('shutdownGracePeriod', shutdownGracePeriod, 'a number of seconds (0 or more)');
  }
  const retentionError = checkRetention(options.retention);
  if (retentionError)
    fail(`retention${retentionError.path}`, retentionError.value, retentionError.expected);
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!isPositiveInteger(maxPayloadBytes)) {
    fail('maxPayloadBytes', maxPayloadBytes, 'a positive whole number of bytes');
  }
  const logPayloads = options.logPayloads ?? false;
  if (typeof logPayloads !== 'boolean') fail('logPayloads', logPayloads, 'true or false');
  const retention = {
    completed: options.retention?.completed ?? DEFAULT_KEEP_COMPLETED,
    failed: options.retention?.failed ?? DEFAULT_KEEP_FAILED,
  };

  return {
    connection,
    backend,
    migrate,
    queues,
    defaultQueue,
    prefix,
    workerQueues,
    defaultTimeout,
    shutdownGracePeriod,
    retention,
    maxPayloadBytes,
    logPayloads,
  };
}

/** @internal The first invalid part of a retention setting, if any (shared with `@Task`). */
export function checkRetention(
  retention: unknown,
): { path: string; value: unknown; expected: string } | undefined {
  if (retention === undefined) return undefined;
  if (typeof retention !== 'object' || retention === null) {
    return { path: '', value: retention, expected: '{ completed?, failed? }' };
  }
  for (const kind of ['completed', 'failed'] as const) {
    const keep = (retention as RetentionOptions)[kind];
    if (keep === undefined) continue;
    if (typeof keep !== 'object' || keep === null) {
      return { path: `.${kind}`, value: keep, expected: '{ age?: seconds, count?: jobs }' };
    }
    for (const field of ['age', 'count'] as const) {
      const value = keep[field];
      if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
        return { path: `.${kind}.${field}`, value, expected: 'a whole number (0 or more)' };
      }
    }
  }
  return undefined;
}
