import type { Provider } from '@nestjs/common';
import { Queue } from 'bullmq';
import { TaskQueueConfigError } from '../errors/index.js';
import { nestBullMessages } from './nest-bullmq.messages.js';
import { nestBullQueueToken } from './nest-bullmq.tokens.js';

/**
 * What a BullMQ `Queue` sets on itself in its constructor, besides its prototype's members: a
 * BullMQ internal, listed because a stand-in without a real queue cannot read them off one.
 * nest-bullmq.no-queue.spec.ts fails when a BullMQ upgrade adds a field missing here.
 */
const QUEUE_FIELDS = new Set([
  'name',
  'opts',
  'token',
  'keys',
  'toKey',
  'qualifiedName',
  'jobsOpts',
  'libName',
  'closed',
  'closing',
  'backend',
  'backendFactory',
  'hasBlockingConnection',
  'queueMetaInitialized',
]);

/** Whether `key` is part of a BullMQ `Queue`'s own API (not of every object's). */
const isQueueMember = (key: string | symbol): key is string =>
  typeof key === 'string' &&
  (QUEUE_FIELDS.has(key) || (key in Queue.prototype && !(key in Object.prototype)));

/**
 * @internal What `@InjectQueue(name)` gives under the testing module, which has no BullMQ
 * queue: an object on which every member of BullMQ's `Queue` (`add`, `getJobs`, `on`, `name`,
 * ...) throws a {@link TaskQueueConfigError} that says how to provide one. Anything else reads
 * as `undefined`, so Nest (lifecycle hooks, `then`) and test tools can look at it.
 */
export function noBullQueue(name: string): object {
  const target = Object.freeze({});
  return new Proxy(target, {
    get: (_target, key) => {
      if (isQueueMember(key)) {
        throw new TaskQueueConfigError(nestBullMessages.noBullQueue(name, key));
      }
      return undefined;
    },
  });
}

/** @internal The testing module's providers of the `@InjectQueue(name)` tokens. */
export function noBullQueueProviders(names: Iterable<string>): Provider[] {
  return [...new Set(names)].map((name) => ({
    provide: nestBullQueueToken(name),
    useFactory: () => noBullQueue(name),
  }));
}
