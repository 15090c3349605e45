/** No task of that name was discovered on that queue; nothing was enqueued. */
export class UnknownTaskError extends Error {
  override readonly name = 'UnknownTaskError';
}
