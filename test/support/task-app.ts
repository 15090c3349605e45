// The one way the specs start an application with the task queue: on a test backend (a
// namespace of the spec file's own), with the spec's modules, closed after the spec file.
import { afterAll } from '@jest/globals';
import type { DynamicModule, LoggerService, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TaskQueueModule, type TaskQueueModuleOptions } from '@app/task-queue';
import type { TestBackend } from './backend.js';

/** Says nothing: for specs that check outcomes, not log lines. */
export const QUIET: LoggerService = { log() {}, warn() {}, error() {} };

export interface TaskAppOptions {
  backend: TestBackend;
  /** The modules with the tasks and what they need. */
  imports?: (Type | DynamicModule)[];
  /** Module options besides the connection and the namespace, which come from `backend`. */
  options?: Omit<TaskQueueModuleOptions, 'connection' | 'prefix'>;
  /** Nest's logger for the application; default: Nest's own. */
  logger?: LoggerService;
}

const started: TestingModule[] = [];
const backends = new Set<TestBackend>();

// After the spec file: every application it started is closed, then its namespaces removed.
afterAll(async () => {
  await Promise.all(started.splice(0).map((app) => app.close()));
  for (const backend of backends) await backend.cleanup();
  backends.clear();
});

/** Starts an application (bootstrapped: its workers run) that closes after the spec file. */
export async function startTaskApp({
  backend,
  imports = [],
  options = {},
  logger,
}: TaskAppOptions): Promise<TestingModule> {
  backends.add(backend);
  const builder = Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        ...options,
        connection: backend.connection,
        prefix: backend.prefix,
      }),
      ...imports,
    ],
  });
  if (logger) builder.setLogger(logger);
  const app = await builder.compile();
  // A spec may close an application itself (to test shutdown): the second close is that one.
  const close = app.close.bind(app);
  let closing: Promise<void> | undefined;
  app.close = () => (closing ??= close());
  started.push(app);
  await app.init();
  return app;
}
