import { parseArgs } from 'node:util';
import { CliInputError } from './cli-input.error.js';
import { BIN, COMMAND_HELP } from './cli.help.js';

/** @internal A command line, read and checked. */
export interface CliCommand {
  /** One of the commands of `COMMAND_HELP`, or `help` (overall, or of `args[0]`). */
  name: string;
  args: string[];
  /** `--module` as given: a file, optionally `#Export`. */
  module?: string;
  json: boolean;
  payload?: string;
  queue?: string;
  wait: boolean;
  timeout?: number;
  queues?: string[];
  concurrency?: number;
}

const OPTIONS = {
  module: { type: 'string', short: 'm' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  payload: { type: 'string' },
  queue: { type: 'string' },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  queues: { type: 'string' },
  concurrency: { type: 'string' },
} as const;

/** The options only one command takes. */
const OWN_OPTIONS: Record<string, string> = {
  payload: 'enqueue',
  queue: 'enqueue',
  wait: 'enqueue',
  timeout: 'enqueue',
  queues: 'worker',
  concurrency: 'worker',
};

/** How many arguments each command takes: [least, most]. */
const ARITY: Record<string, [number, number]> = {
  tasks: [0, 0],
  enqueue: [1, 1],
  status: [0, 2],
  schedules: [0, 1],
  worker: [0, 0],
  migrate: [0, 0],
};

const ARGUMENTS: Record<string, string> = {
  enqueue: 'one task name: enqueue TASK',
  status: 'at most a queue and a job id: status [QUEUE [ID]]',
  schedules: 'at most a queue: schedules [QUEUE]',
};

/** An error's message; Node's own errors may come from another realm than `Error`. */
const messageOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : String(error);

/** @internal Reads `argv` (without node and the script); a `CliInputError` when it is wrong. */
export function parseCommandLine(argv: string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // Point at the help of the command the line names, if it names one.
    const lenient = { args: argv, options: OPTIONS, strict: false, allowPositionals: true };
    const [named] = parseArgs(lenient).positionals;
    throw new CliInputError(messageOf(error), named && named in ARITY ? named : undefined);
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  if (first === 'help') return { name: 'help', args: rest.slice(0, 1), json: false, wait: false };
  if (values.help) return { name: 'help', args: first ? [first] : [], json: false, wait: false };
  if (first === undefined) {
    throw new CliInputError(`No command given. Try: ${BIN} --module dist/app.module.js tasks`);
  }
  if (!(first in ARITY)) {
    throw new CliInputError(
      `Unknown command '${first}'. Commands: ${Object.keys(COMMAND_HELP).join(', ')}.`,
    );
  }
  const [least, most] = ARITY[first];
  if (rest.length < least || rest.length > most) {
    const expected = ARGUMENTS[first] ?? 'no arguments';
    throw new CliInputError(`${first} takes ${expected}; got: ${rest.join(' ') || 'none'}.`, first);
  }
  for (const [option, owner] of Object.entries(OWN_OPTIONS)) {
    const value = values[option as keyof typeof values];
    if (value !== undefined && value !== false && owner !== first) {
      throw new CliInputError(`--${option} belongs to ${owner}, not ${first}.`, first);
    }
  }
  if (values.timeout !== undefined && !values.wait) {
    throw new CliInputError('--timeout is the time --wait waits: add --wait.', first);
  }
  return {
    name: first,
    args: rest,
    module: values.module,
    json: values.json,
    payload: values.payload,
    queue: values.queue,
    wait: values.wait,
    timeout: values.timeout === undefined ? undefined : seconds(values.timeout),
    queues: values.queues === undefined ? undefined : queueList(values.queues),
    concurrency: values.concurrency === undefined ? undefined : count(values.concurrency),
  };
}

function seconds(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new CliInputError(`--timeout must be a positive number of seconds, not '${text}'.`);
  }
  return value;
}

function queueList(text: string): string[] {
  const queues = text.split(',').map((queue) => queue.trim());
  if (queues.some((queue) => queue === '')) {
    throw new CliInputError(`--queues needs queue names separated by commas, not '${text}'.`);
  }
  return queues;
}

function count(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 1) {
    throw new CliInputError(`--concurrency must be a positive whole number, not '${text}'.`);
  }
  return value;
}

/** @internal The payload of `--payload`: a JSON object; a `CliInputError` saying what is wrong. */
export function parsePayload(text: string | undefined): object {
  if (text === undefined) return {};
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    const reason = messageOf(error);
    throw new CliInputError(
      `--payload is not valid JSON (${reason}). Quote it for your shell and use double quotes ` +
        `inside: --payload '{"userId":42}'.`,
      'enqueue',
    );
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new CliInputError(
      `--payload must be a JSON object, like '{"userId":42}', not ${text}.`,
      'enqueue',
    );
  }
  return payload;
}
