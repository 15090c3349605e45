import { Scope, type FactoryProvider, type Provider } from '@nestjs/common';
import { QueueBackend } from '../backends/queue-backend.js';
import type { TaskQueueModuleOptions } from '../interfaces/task-queue-options.interface.js';
import { DEFAULT_QUEUE } from '../task-queue.constants.js';
import { nestBullQueueToken, queueOfNestBullToken } from './nest-bullmq.tokens.js';

/**
 * @internal The queues named where the module is defined, whose `@InjectQueue()` tokens can
 * exist: `forRoot`'s (by default `default`), or those given beside `forRootAsync`'s factory.
 */
export function staticQueueNames(
  queues: TaskQueueModuleOptions['queues'],
  byDefault: boolean,
): string[] {
  if (queues === undefined) return byDefault ? [DEFAULT_QUEUE] : [];
  if (Array.isArray(queues)) return queues.filter((name) => typeof name === 'string');
  return typeof queues === 'object' && queues !== null ? Object.keys(queues) : [];
}

/**
 * @internal `@InjectQueue(name)` of `@nestjs/bullmq` for each queue: the BullMQ `Queue` that
 * `TaskQueues.get(name)` enqueues on. Transient, so that it is made only for a class that
 * injects it (a BullMQ `Queue` connects as soon as it is made); every injection gets the
 * backend's one `Queue` of that name.
 */
export function queueTokenProviders(names: readonly string[]): FactoryProvider[] {
  return names.map((name) => ({
    provide: nestBullQueueToken(name),
    scope: Scope.TRANSIENT,
    useFactory: (backend: QueueBackend) => backend.queue(name),
    inject: [QueueBackend],
  }));
}

/** @internal The queue whose `@InjectQueue()` token `provider` provides, if it is one. */
export const queueOfTokenProvider = (provider: Provider): string | undefined =>
  typeof provider === 'object' && 'provide' in provider
    ? queueOfNestBullToken(provider.provide)
    : undefined;
