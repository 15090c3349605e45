import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { processModule } from '../runner/task-queue-process.module.js';
import { taskQueueConfigOf } from '../runner/run-worker.js';
import { CliInputError } from './cli-input.error.js';
import type { CliCommand } from './cli.args.js';
import { enqueue } from './cli.enqueue.js';
import type { AppModuleRef } from './cli.module-loader.js';
import { listSchedules, listTasks, migrate, showStatus } from './cli.commands.js';
import type { CommandOutput } from './cli.output.js';

/** @internal Where the CLI writes; a test may pass its own. */
export interface CliStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const COMMANDS: Record<
  string,
  (app: INestApplicationContext, command: CliCommand) => CommandOutput | Promise<CommandOutput>
> = { tasks: listTasks, enqueue, status: showStatus, schedules: listSchedules, migrate };

/** The commands that read or write the backend, which another process must share. */
const ON_BACKEND = ['enqueue', 'status', 'schedules'];

/**
 * Nest's warnings and errors, on stderr so that stdout stays the command's output. A failed
 * boot is left out: the CLI prints that error itself, once.
 */
const stderrLogger = (streams: CliStreams): LoggerService => ({
  log: () => undefined,
  warn: (message: unknown) => streams.stderr(`${String(message)}\n`),
  error: (message: unknown, ...rest: unknown[]) => {
    if (rest.at(-1) !== 'ExceptionHandler') streams.stderr(`${String(message)}\n`);
  },
});

/**
 * @internal Boots the application without workers or schedules, runs `command`, closes it.
 * A file of its own, loaded only by the commands that boot the application: `--help` and
 * mistakes in the command line are answered without loading Nest and the library.
 */
export async function runCommand(
  appModule: AppModuleRef,
  command: CliCommand,
  streams: CliStreams,
): Promise<CommandOutput> {
  const app = await NestFactory.createApplicationContext(processModule(appModule, false), {
    logger: stderrLogger(streams),
    abortOnError: false,
  });
  try {
    const { backend } = taskQueueConfigOf(app, `--module ${command.module}`);
    const inMemory =
      backend.kind === 'pglite' && !('db' in backend.source) && !backend.source.dataDir;
    if (ON_BACKEND.includes(command.name) && inMemory) {
      throw new CliInputError(
        `${command.name} needs queues that other processes share, but this module's are on ` +
          `PGlite in memory (pglite:memory), which lives and dies with one process. Enqueue ` +
          `and read jobs from inside that process, or use Redis or PostgreSQL.`,
        command.name,
      );
    }
    return await COMMANDS[command.name](app, command);
  } finally {
    await app.close();
  }
}

export { runWorker } from '../runner/run-worker.js';
