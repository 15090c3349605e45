import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import type { WorkerOverride } from '../task-queue.config.js';
import { WORKER_OVERRIDE } from '../task-queue.constants.js';

/** @internal The root of a process that `runWorker` or the CLI boots around the app's module. */
@Module({})
export class TaskQueueProcessModule {}

/**
 * @internal The application's own module, imported by a global module that says which workers
 * this process runs: the module's configuration reads {@link WORKER_OVERRIDE} in place of its
 * `worker` option. A fresh definition per call, so nothing is kept on a class.
 */
export function processModule(
  appModule: Type<unknown> | DynamicModule,
  workers: WorkerOverride,
  providers: Provider[] = [],
): DynamicModule {
  return {
    module: TaskQueueProcessModule,
    global: true,
    imports: [appModule],
    providers: [{ provide: WORKER_OVERRIDE, useValue: workers }, ...providers],
    exports: [WORKER_OVERRIDE],
  };
}
