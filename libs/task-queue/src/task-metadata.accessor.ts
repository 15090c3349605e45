import { Injectable } from '@nestjs/common';
import { TASK_METADATA } from './task-queue.constants.js';
import type { TaskMetadata } from './interfaces/task-options.interface.js';

/** @internal Reads what the task decorators stored on a method. */
@Injectable()
export class TaskMetadataAccessor {
  getTaskMetadata(method: unknown): TaskMetadata | undefined {
    if (typeof method !== 'function') return undefined;
    return Reflect.getMetadata(TASK_METADATA, method) as TaskMetadata | undefined;
  }

  /** Number of parameters the method declares, from its emitted design types. */
  getParameterCount(prototype: object, methodName: string): number {
    const types = Reflect.getMetadata('design:paramtypes', prototype, methodName) as
      unknown[] | undefined;
    return types?.length ?? 0;
  }
}
