import type { RedisOptions } from 'ioredis';
import { TaskQueueConfigError } from './errors/index.js';
import type { TaskQueueModuleOptions } from './interfaces/task-queue-options.interface.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_CONNECTION,
  DEFAULT_PREFIX,
  DEFAULT_QUEUE,
  NAME_PATTERN,
} from './task-queue.constants.js';
import { messages } from './task-queue.messages.js';

/** @internal The module options, checked and with defaults applied. */
export interface TaskQueueConfig {
  connection: string | RedisOptions;
  /** Queue name → concurrency, in configuration order. */
  queues: ReadonlyMap<string, number>;
  defaultQueue: string;
  prefix: string;
  /** Queues this process runs workers for (empty when `worker: false`). */
  workerQueues: readonly string[];
}

const fail = (option: string, value: unknown, expected: string): never => {
  throw new TaskQueueConfigError(messages.invalidOption(option, value, expected));
};

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;

/** @internal Validates module options and applies the defaults of the API contract. */
export function resolveConfig(options: TaskQueueModuleOptions = {}): TaskQueueConfig {
  const connection = options.connection ?? DEFAULT_CONNECTION;
  if (typeof connection === 'string' && !/^rediss?:\/\//.test(connection)) {
    fail('connection', connection, 'a redis:// or rediss:// URL, or ioredis options');
  } else if (typeof connection !== 'string' && (typeof connection !== 'object' || !connection)) {
    fail('connection', connection, 'a redis:// or rediss:// URL, or ioredis options');
  }

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
  if (typeof prefix !== 'string' || prefix.length === 0) {
    fail('prefix', prefix, 'a non-empty string');
  }

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

  return { connection, queues, defaultQueue, prefix, workerQueues };
}
