/** The module options are invalid. Thrown at bootstrap. */
export class TaskQueueConfigError extends Error {
  /** Always `'TaskQueueConfigError'`, set on the class so that minified code keeps it. */
  override readonly name = 'TaskQueueConfigError';
}
