// The one way the specs start an application with the task queue: on a test backend (a
// namespace of the spec file's own), with the spec's modules, closed after the spec file.
import { afterAll } from '@jest/globals';
import type {
  DynamicModule,
  INestApplication,
  INestApplicationContext,
  LoggerService,
  Provider,
  Type,
} from '@nestjs/common';
import { Test, type TestingModule, type TestingModuleBuilder } from '@nestjs/testing';
import { TaskQueueModule, type TaskQueueModuleOptions } from '@app/task-queue';
import type { TestBackend } from './backend.js';

/** Says nothing: for specs that check outcomes, not log lines. */
export const QUIET: LoggerService = { log() {}, warn() {}, error() {} };

export interface TaskAppOptions {
  backend: TestBackend;
  /** The modules with the tasks and what they need. */
  imports?: (Type | DynamicModule)[];
  /** Providers of the application's root module, beside the imports. */
  providers?: Provider[];
  /**
   * Module options besides the connection and the namespace, which come from `backend`. Or
   * 'from-env': the imports configure the task queue themselves from the environment (the
   * example's AppModule), and boot with `backend.env` set.
   */
  options?: Omit<TaskQueueModuleOptions, 'connection' | 'prefix'> | 'from-env';
  /** More environment variables, set only while the application boots. */
  env?: Record<string, string>;
  /** Nest's logger for the application; default: Nest's own. */
  logger?: LoggerService;
  /** Changes to the test module before it compiles, such as `overrideProvider`. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Serves the HTTP API (Nest's Express adapter) on a free port of this host. */
  listen?: string;
  /** With `listen`: configures the HTTP application before it listens (global filters...). */
  beforeListen?: (app: INestApplication) => void;
}

const started: INestApplicationContext[] = [];
const backends = new Set<TestBackend>();

// After the spec file: every application it started is closed, then its namespaces removed.
// Generous: on a loaded machine, closing applications and an embedded PostgreSQL that is still
// starting takes a while, and a hook cut short leaves them running into Jest's teardown.
afterAll(async () => {
  await Promise.all(started.splice(0).map((app) => app.close()));
  for (const backend of backends) await backend.cleanup();
  backends.clear();
}, 120_000);

/** Starts an HTTP application (bootstrapped: its workers run) that closes after the spec file. */
export function startTaskApp(
  options: TaskAppOptions & { listen: string },
): Promise<INestApplication>;
/** Starts an application (bootstrapped: its workers run) that closes after the spec file. */
export function startTaskApp(options: TaskAppOptions): Promise<TestingModule>;
export async function startTaskApp({
  backend,
  imports = [],
  providers = [],
  options = {},
  env = {},
  logger,
  override = (builder) => builder,
  listen,
  beforeListen = () => {},
}: TaskAppOptions): Promise<TestingModule | INestApplication> {
  backends.add(backend);
  const queue =
    options === 'from-env'
      ? []
      : [
          TaskQueueModule.forRoot({
            ...options,
            connection: backend.connection,
            prefix: backend.prefix,
          }),
        ];
  const builder = override(
    Test.createTestingModule({ imports: [...queue, ...imports], providers }),
  );
  if (logger) builder.setLogger(logger);
  const bootEnv = options === 'from-env' ? { ...backend.env, ...env } : env;
  return withEnv(bootEnv, async () => {
    const moduleRef = await builder.compile();
    const app = listen === undefined ? moduleRef : moduleRef.createNestApplication();
    // A spec may close an application itself (to test shutdown): the second close is that one.
    const close = app.close.bind(app);
    let closing: Promise<void> | undefined;
    app.close = () => (closing ??= close());
    started.push(app);
    if (listen === undefined) await app.init();
    else {
      beforeListen(app as INestApplication);
      await (app as INestApplication).listen(0, listen);
    }
    return app;
  });
}

/** Runs `boot` with `env` set, then puts the variables back as they were. */
async function withEnv<T>(env: Record<string, string>, boot: () => Promise<T>): Promise<T> {
  const saved = Object.keys(env).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, env);
  try {
    return await boot();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
