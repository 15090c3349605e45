import { Injectable } from '@nestjs/common';
import { TASK_METADATA, TASK_PARAM_TOKENS } from '../task-queue.constants.js';
import type { TaskMetadata } from '../interfaces/task-options.interface.js';
import type { TaskParameterTokens } from './task-parameters.attribution.js';

/** @internal Reads what the task decorators stored on a method. */
@Injectable()
export class TaskMetadataAccessor {
  getTaskMetadata(method: unknown): TaskMetadata | undefined {
    if (typeof method !== 'function') return undefined;
    return Reflect.getMetadata(TASK_METADATA, method) as TaskMetadata | undefined;
  }

  /**
   * What DI should supply for each parameter after `(ctx, payload)`: its `@TaskInject()` or
   * `@Inject()` token, or its declared class from the emitted design types (`undefined` where
   * neither is known).
   */
  getInjectedTokens(prototype: object, methodName: string): unknown[] {
    const types = (Reflect.getMetadata('design:paramtypes', prototype, methodName) ??
      []) as unknown[];
    const declared = this.getParameterTokens(prototype, methodName)?.tokens;
    const count = Math.max(
      types.length,
      ...[...(declared?.keys() ?? [])].map((index) => index + 1),
    );
    const tokens: unknown[] = [];
    for (let index = 2; index < count; index += 1) {
      tokens.push(declared?.get(index) ?? types[index]);
    }
    return tokens;
  }

  /** Parameters an `@Inject()` of another method may be meant for (see the attribution). */
  getAmbiguousParameters(prototype: object, methodName: string) {
    return this.getParameterTokens(prototype, methodName)?.ambiguous;
  }

  private getParameterTokens(prototype: object, methodName: string) {
    return Reflect.getMetadata(TASK_PARAM_TOKENS, prototype, methodName) as
      TaskParameterTokens | undefined;
  }
}
