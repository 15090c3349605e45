/** The module options are invalid. Thrown at bootstrap. */
export class TaskQueueConfigError extends Error {
  override readonly name = 'TaskQueueConfigError';
}
