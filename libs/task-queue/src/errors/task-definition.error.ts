/** A decorated task method is declared wrongly (bad name, unknown queue, duplicate). Thrown at bootstrap. */
export class TaskDefinitionError extends Error {
  /** Always `'TaskDefinitionError'`, set on the class so that minified code keeps it. */
  override readonly name = 'TaskDefinitionError';
}
