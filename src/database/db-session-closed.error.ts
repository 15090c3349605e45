/** A query through a {@link DbSession} whose task has already finished, failed, timed out or been aborted. */
export class DbSessionClosedError extends Error {
  override readonly name = 'DbSessionClosedError';
}
