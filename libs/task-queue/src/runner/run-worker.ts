import {
  Logger,
  type DynamicModule,
  type INestApplicationContext,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TaskRegistry } from '../discovery/task.registry.js';
import { TaskQueueConfigError } from '../errors/index.js';
import type { RunWorkerOptions } from '../interfaces/run-worker-options.interface.js';
import type { WorkerSettings } from '../interfaces/task-queue-options.interface.js';
import { rules } from '../options/option-rules.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { optionMessages } from '../options/options.messages.js';
import { runnerMessages } from './runner.messages.js';
import { ShutdownOnSignals } from './shutdown-on-signals.js';
import { processModule } from './task-queue-process.module.js';
import { workerReadyLine } from './worker-ready.js';

/** The worker settings of `options`, checked; a `TaskQueueConfigError` saying what is wrong. */
function workerSettings({ queues, concurrency }: RunWorkerOptions): WorkerSettings {
  const invalid = (option: string, value: unknown, expected: string) =>
    new TaskQueueConfigError(
      optionMessages.invalidTaskOption('runWorker', option, value, expected),
    );
  if (queues !== undefined) {
    const named = Array.isArray(queues) && queues.length > 0;
    if (!named || queues.some((queue) => typeof queue !== 'string' || queue.trim() === '')) {
      throw invalid('queues', queues, 'a non-empty array of queue names');
    }
  }
  if (concurrency !== undefined && !rules.positiveInteger.check(concurrency)) {
    throw invalid('concurrency', concurrency, rules.positiveInteger.expected);
  }
  return { queues: queues && [...queues], concurrency };
}

/** @internal The resolved configuration of a booted application; a clear error without one. */
export function taskQueueConfigOf(app: INestApplicationContext, where: string): TaskQueueConfig {
  try {
    return app.get<TaskQueueConfig>(TASK_QUEUE_CONFIG);
  } catch {
    throw new TaskQueueConfigError(runnerMessages.noTaskQueueModule(where));
  }
}

/**
 * Runs a worker process of your own application: boots `appModule` as a Nest application
 * context (no HTTP server) whose workers run `queues` (every configured queue when omitted),
 * whatever `worker` says in `TaskQueueModule.forRoot()`. So one `AppModule` serves both the
 * API processes (`worker: false`) and the worker processes.
 *
 * It logs one line once ready (backend and where, queues, concurrency, schedules). On SIGTERM
 * or SIGINT it closes the application: workers take no new job, active ones get the module's
 * `shutdownGracePeriod` to finish, and those still running then go back on their queue
 * without counting as a failure; a line says how many. Then the process exits with code 0.
 * On an embedded PGlite backend (`pglite:`), this process is the only one that sees the
 * queues.
 *
 * @param appModule your root module, the one that imports `TaskQueueModule`.
 * @returns the booted application context, for anything else the process serves.
 * @throws TaskQueueConfigError for an unknown queue, a bad concurrency, or a module without
 * `TaskQueueModule` (and any error of booting your module).
 *
 * @example
 * ```ts
 * // src/worker.ts, built to dist/worker.js; `node dist/worker.js` in the worker container
 * import { runWorker } from 'nestjs-task-queue';
 * import { AppModule } from './app.module.js';
 *
 * await runWorker(AppModule, { queues: ['emails'], concurrency: 5 });
 * ```
 */
export async function runWorker(
  appModule: Type<unknown> | DynamicModule,
  options: RunWorkerOptions = {},
): Promise<INestApplicationContext> {
  const settings = workerSettings(options);
  const logger = new Logger('TaskQueueWorker');
  const shutdown = new ShutdownOnSignals(logger);
  shutdown.listen();
  let app: INestApplicationContext | undefined;
  try {
    const root = processModule(appModule, settings, [
      { provide: ShutdownOnSignals, useValue: shutdown },
    ]);
    app = await NestFactory.createApplicationContext(root, {
      abortOnError: false,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const config = taskQueueConfigOf(app, 'runWorker');
    logger.log(workerReadyLine(config, app.get(TaskRegistry)));
    shutdown.attach(app, config.shutdownGracePeriod);
    return app;
  } catch (error) {
    shutdown.stop();
    await app?.close();
    throw error;
  }
}
