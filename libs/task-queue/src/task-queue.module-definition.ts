import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import { TaskQueueConfigError } from './errors/index.js';
import type { TaskQueueModuleOptions } from './interfaces/task-queue-options.interface.js';
import { staticQueueNames } from './nest-bullmq/nest-bullmq.queue-providers.js';
import { optionMessages } from './options/options.messages.js';

// `forRoot` / `forRootAsync` and the options token, made the Nest way. Not exported from the
// package, but TaskQueueModule's published type extends ConfigurableModuleClass.
export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, ASYNC_OPTIONS_TYPE, OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<TaskQueueModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras({}, (definition) => ({ ...definition, global: true }))
    .build();

/**
 * Options of `TaskQueueModule.forRootAsync`: `imports`, `inject` and `useFactory` (or `useClass`,
 * `useExisting`) that make the module options, and optionally the `queues`, named here so that
 * their `@InjectQueue()` tokens exist when the module is defined.
 *
 * @interface
 */
export type TaskQueueModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE &
  Pick<TaskQueueModuleOptions, 'queues'>;

/**
 * @internal `forRootAsync`'s definition whose options get the `queues` given beside the
 * factory, when the factory names none (naming others is a bootstrap error).
 */
export function withStaticQueues(
  definition: DynamicModule,
  queues: TaskQueueModuleOptions['queues'],
): DynamicModule {
  if (queues === undefined) return definition;
  const providers = (definition.providers ?? []).map((provider): Provider => {
    if (typeof provider !== 'object' || !('useFactory' in provider)) return provider;
    if (provider.provide !== MODULE_OPTIONS_TOKEN) return provider;
    const make = provider.useFactory;
    return {
      ...provider,
      useFactory: async (...args: unknown[]) =>
        withQueues((await make(...args)) as TaskQueueModuleOptions, queues),
    };
  });
  return { ...definition, providers };
}

function withQueues(
  made: TaskQueueModuleOptions,
  queues: NonNullable<TaskQueueModuleOptions['queues']>,
): TaskQueueModuleOptions {
  if (made.queues === undefined) return { ...made, queues };
  const given = staticQueueNames(queues, false);
  const named = staticQueueNames(made.queues, false);
  if (given.length !== named.length || given.some((name) => !named.includes(name))) {
    throw new TaskQueueConfigError(optionMessages.staticQueuesDiffer(given, named));
  }
  return made;
}
