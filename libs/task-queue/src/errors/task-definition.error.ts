/** A decorated task method is declared wrongly (bad name, unknown queue, duplicate). Thrown at bootstrap. */
export class TaskDefinitionError extends Error {
  override readonly name = 'TaskDefinitionError';
}
