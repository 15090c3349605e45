import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * @internal Runs a Standard Schema validator. Resolves the validated (possibly transformed)
 * value, or a one-line description of every issue.
 */
export async function validateWithSchema(
  schema: StandardSchemaV1,
  value: unknown,
): Promise<{ value: unknown } | { problem: string }> {
  const result = await schema['~standard'].validate(value);
  if (!result.issues) return { value: result.value };
  const problem = result.issues
    .map(({ message, path }) => {
      const at = path?.map((segment) =>
        String(typeof segment === 'object' ? segment.key : segment),
      );
      return at?.length ? `${at.join('.')}: ${message}` : message;
    })
    .join('; ');
  return { problem };
}
