import { describe, expect, it } from '@jest/globals';
import { CliInputError } from './cli-input.error.js';
import { parseCommandLine, parsePayload } from './cli.args.js';

const inputError = (argv: string[]) => {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof CliInputError) return { message: error.message, command: error.command };
    throw error;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('parseCommandLine', () => {
  it('reads a command with its options, anywhere on the line', () => {
    expect(
      parseCommandLine([
        'enqueue',
        'send_email',
        '-m',
        'dist/app.module.js#AppModule',
        '--payload',
        '{"to":"a@b"}',
        '--wait',
        '--timeout',
        '5',
        '--json',
      ]),
    ).toMatchObject({
      name: 'enqueue',
      args: ['send_email'],
      module: 'dist/app.module.js#AppModule',
      payload: '{"to":"a@b"}',
      wait: true,
      timeout: 5,
      json: true,
    });
    expect(parseCommandLine(['worker', '--queues', 'a, b', '--concurrency', '4'])).toMatchObject({
      name: 'worker',
      queues: ['a', 'b'],
      concurrency: 4,
    });
  });

  it('help: overall, of a command, and `help <command>`', () => {
    expect(parseCommandLine(['--help'])).toMatchObject({ name: 'help', args: [] });
    expect(parseCommandLine(['status', '-h'])).toMatchObject({ name: 'help', args: ['status'] });
    expect(parseCommandLine(['help', 'worker'])).toMatchObject({ name: 'help', args: ['worker'] });
  });

  it.each([
    [['frobnicate'], /^Unknown command 'frobnicate'\. Commands: tasks, enqueue, status/, undefined],
    [[], /^No command given\./, undefined],
    [['enqueue'], /^enqueue takes one task name: enqueue TASK; got: none\.$/, 'enqueue'],
    [['tasks', 'extra'], /^tasks takes no arguments; got: extra\.$/, 'tasks'],
    [['tasks', '--wait'], /^--wait belongs to enqueue, not tasks\.$/, 'tasks'],
    [['worker', '--payload', '{}'], /^--payload belongs to enqueue, not worker\.$/, 'worker'],
    [
      ['enqueue', 'x', '--timeout', '5'],
      /^--timeout is the time --wait waits: add --wait\.$/,
      'enqueue',
    ],
    [
      ['enqueue', 'x', '--wait', '--timeout', '0'],
      /^--timeout must be a positive number/,
      undefined,
    ],
    [['worker', '--queues', 'a,,b'], /^--queues needs queue names separated by commas/, undefined],
    [
      ['worker', '--concurrency', '1.5'],
      /^--concurrency must be a positive whole number/,
      undefined,
    ],
    [['status', '--verbose'], /^Unknown option '--verbose'/, 'status'],
    [['-m', 'dist/app.module.js', 'tasks', '-x'], /^Unknown option '-x'/, 'tasks'],
  ])('%j: %s', (argv, message, command) => {
    const error = inputError(argv);
    expect(error.message).toMatch(message);
    expect(error.command).toBe(command);
  });
});

describe('parsePayload', () => {
  it('a JSON object, {} when absent', () => {
    expect(parsePayload('{"userId":42}')).toEqual({ userId: 42 });
    expect(parsePayload(undefined)).toEqual({});
  });

  it.each([
    ['{userId:42}', /^--payload is not valid JSON \(.+\)\. Quote it for your shell/],
    ['[1]', /^--payload must be a JSON object, like '\{"userId":42\}', not \[1\]\.$/],
    ['42', /^--payload must be a JSON object/],
    ['null', /^--payload must be a JSON object/],
  ])('%s: what to fix', (text, message) => {
    expect(() => parsePayload(text)).toThrow(message);
  });
});
