import {
  InvalidOptionsError,
  InvalidPayloadError,
  TaskQueueConfigError,
  UnknownQueueError,
  UnknownTaskError,
} from '../errors/index.js';
import { CliInputError } from './cli-input.error.js';
import type { CliStreams } from './cli.app.js';
import { parseCommandLine, type CliCommand } from './cli.args.js';
import { BIN, commandHelp, COMMAND_HELP, USAGE } from './cli.help.js';
import { loadAppModule } from './cli.module-loader.js';

export type { CliStreams } from './cli.app.js';

/** Errors of the library that mean the input was wrong (a task, queue, payload or option). */
const BAD_INPUT = [
  UnknownTaskError,
  UnknownQueueError,
  InvalidPayloadError,
  InvalidOptionsError,
  TaskQueueConfigError,
];

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
    // Nest and the library, only once a command needs the application.
    const { runCommand, runWorker } = await import('./cli.app.js');
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
