import { Inject, type InjectionToken } from '@nestjs/common';
import { TASK_INJECT_TOKENS } from '../task-queue.constants.js';

/**
 * Gives a task parameter the provider of `token`, for each job, as `@Inject(token)` does, but
 * recorded under the task method's name. Nest's `@Inject()` on a method parameter is recorded
 * without the method's name, so when another decorated method declared before the task also has
 * `@Inject()` parameters, the library may be unable to tell whose an entry is: bootstrap then
 * fails with a `TaskDefinitionError` naming the parameter, and this decorator is the fix. On a
 * constructor parameter it is Nest's `@Inject(token)`.
 *
 * @param token the provider's token: a class, string or symbol.
 * @example
 * ```ts
 * @Task()
 * async sendReport(ctx: TaskContext, payload: object, @TaskInject(MAILER) mailer: Mailer) {}
 *
 * @Task() // a class-typed parameter, marked so no other method's @Inject() can claim it
 * async tick(ctx: TaskContext, payload: object, @TaskInject(Clock) clock: Clock) {}
 * ```
 */
export function TaskInject(token: InjectionToken): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined) return Inject(token)(target, key, index);
    const tokens = new Map(
      (Reflect.getOwnMetadata(TASK_INJECT_TOKENS, target, key) ?? []) as Map<number, unknown>,
    );
    tokens.set(index, token);
    Reflect.defineMetadata(TASK_INJECT_TOKENS, tokens, target, key);
  };
}
