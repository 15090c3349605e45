import { MODULE_METADATA } from '@nestjs/common/constants.js';
import type { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import { TaskQueueConfigError } from '../errors/index.js';
import {
  queueOfTokenProvider,
  staticQueueNames,
} from '../nest-bullmq/nest-bullmq.queue-providers.js';
import { TaskQueueModule } from '../task-queue.module.js';
import type { TaskQueueTestingOptions } from './task-queue-testing.interfaces.js';
import { testingModule } from './task-queue-testing.module.js';
import { testingMessages } from './task-queue-testing.messages.js';

/** What this helper uses of Nest's `TestingModuleBuilder` (no import of `@nestjs/testing`). */
export interface ModuleOverridingBuilder {
  /** Starts replacing `module` wherever the tested module imports it. */
  overrideModule(module: never): {
    /** Puts `newModule` in the replaced module's place. */
    useModule(newModule: DynamicModule): unknown;
  };
}

type Import = Type | DynamicModule | ForwardReference | Promise<DynamicModule> | undefined;

/**
 * Makes a test of a whole application run on the testing module: each
 * `TaskQueueModule.forRoot()` / `forRootAsync()` it imports is replaced by
 * `TaskQueueTestingModule`, which keeps the application's own options (from its factory too)
 * and takes `options` on top. Use it before `compile()`.
 *
 * @returns `builder`, for chaining.
 * @throws TaskQueueConfigError when the test module imports no `TaskQueueModule`.
 * @example
 * ```ts
 * const moduleRef = await overrideTaskQueueModule(
 *   Test.createTestingModule({ imports: [AppModule] }),
 * ).compile();
 * ```
 */
export function overrideTaskQueueModule<B extends ModuleOverridingBuilder>(
  builder: B,
  options: TaskQueueTestingOptions = {},
): B {
  const found = taskQueueModulesOf(rootOf(builder));
  if (found.length === 0) throw new TaskQueueConfigError(testingMessages.noTaskQueueModule());
  for (const module of found) {
    // The application's `@InjectQueue()` tokens are made again, without a BullMQ queue.
    const providers = module.providers ?? [];
    const queueNames = providers.map(queueOfTokenProvider).filter((name) => name !== undefined);
    const replacement = testingModule(
      options,
      providers.filter((provider) => queueOfTokenProvider(provider) === undefined),
      [...queueNames, ...staticQueueNames(options.queues, false)],
      module.imports,
    );
    builder.overrideModule(module as never).useModule(replacement);
  }
  return builder;
}

/**
 * The root module of a `TestingModuleBuilder`, which it keeps private. Needed because Nest's
 * `overrideModule` matches a module by identity, and `forRoot` / `forRootAsync` make a new
 * object on each call: the one to replace has to be found in the application's imports.
 */
function rootOf(builder: ModuleOverridingBuilder): Type {
  const root = (builder as unknown as { module?: Type }).module;
  if (typeof root !== 'function')
    throw new TaskQueueConfigError(testingMessages.noTaskQueueModule());
  return root;
}

/** Every `TaskQueueModule` dynamic module imported, at any depth, from `root`. */
function taskQueueModulesOf(root: Type): DynamicModule[] {
  const found: DynamicModule[] = [];
  const seen = new Set<unknown>();
  const visit = (entry: Import) => {
    if (!entry || seen.has(entry) || entry instanceof Promise) return;
    seen.add(entry);
    if ('forwardRef' in entry) return visit((entry.forwardRef as () => Import)());
    if (typeof entry === 'function') {
      const imports = (Reflect.getMetadata(MODULE_METADATA.IMPORTS, entry) ?? []) as Import[];
      return imports.forEach(visit);
    }
    if (entry.module === TaskQueueModule) return void found.push(entry);
    (entry.imports as Import[] | undefined)?.forEach(visit);
    visit(entry.module);
  };
  visit(root);
  return found;
}
