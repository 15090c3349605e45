import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  InvalidOptionsError,
  InvalidPayloadError,
  TaskQueueConfigError,
  UnknownQueueError,
  UnknownTaskError,
} from '../errors/index.js';
import { processModule } from '../runner/task-queue-process.module.js';
import { runWorker, taskQueueConfigOf } from '../runner/run-worker.js';
import { CliInputError } from './cli-input.error.js';
import { parseCommandLine, type CliCommand } from './cli.args.js';
import { enqueue } from './cli.enqueue.js';
import { BIN, commandHelp, COMMAND_HELP, USAGE } from './cli.help.js';
import { loadAppModule, type AppModuleRef } from './cli.module-loader.js';
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

/** Errors of the library that mean the input was wrong (a task, queue, payload or option). */
const BAD_INPUT = [
  UnknownTaskError,
  UnknownQueueError,
  InvalidPayloadError,
  InvalidOptionsError,
  TaskQueueConfigError,
];

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
 * @internal Runs one command line. Resolves the exit code once the command is done, or
 * `'running'` for `worker`, whose process then ends on SIGTERM / SIGINT.
 */
export async function runCli(
  argv: string[],
  cwd: string,
  streams: CliStreams,
): Promise<number | 'running'> {
  let command: CliCommand | undefined;
  try {
    command = parseCommandLine(argv);
    if (command.name === 'help') {
      const [of] = command.args;
      streams.stdout(`${of && of in COMMAND_HELP ? commandHelp(of) : USAGE}\n`);
      return 0;
    }
    const appModule = await loadAppModule(command.module, cwd);
    if (command.name === 'worker') {
      await runWorker(appModule, { queues: command.queues, concurrency: command.concurrency });
      return 'running';
    }
    const output = await runCommand(appModule, command, streams);
    if (output.stdout) streams.stdout(`${output.stdout}\n`);
    if (output.stderr) streams.stderr(`${output.stderr}\n`);
    return output.code ?? 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof CliInputError) {
      const of = error.command ?? command?.name;
      const help = of && of in COMMAND_HELP ? `${BIN} ${of} --help` : `${BIN} --help`;
      streams.stderr(`${BIN}: ${message}\nSee: ${help}\n`);
      return 2;
    }
    if (BAD_INPUT.some((type) => error instanceof type)) {
      streams.stderr(`${BIN}: ${message}\n`);
      return 2;
    }
    streams.stderr(`${BIN}: ${message}\n`);
    return 1;
  }
}

/** Boots the application without workers or schedules, runs `command`, closes it. */
async function runCommand(
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
