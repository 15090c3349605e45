/**
 * @internal A mistake in the command line or in what it names (command, option, payload,
 * module file, export): the CLI prints it with a pointer to the help and exits with code 2.
 */
export class CliInputError extends Error {
  override readonly name = 'CliInputError';

  constructor(
    message: string,
    /** The command whose help to point at, if the mistake is in one command's use. */
    readonly command?: string,
  ) {
    super(message);
  }
}
