import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import type { ProcessDataPayload } from './shared.tasks.js';

/** Accepts only `{ "userId": <positive whole number> }` as the body of `POST /process`. */
@Injectable()
export class ProcessRequestPipe implements PipeTransform<unknown, ProcessDataPayload> {
  transform(body: unknown): ProcessDataPayload {
    const userId = (body as { userId?: unknown } | null | undefined)?.userId;
    if (typeof userId !== 'number' || !Number.isInteger(userId) || userId < 1) {
      throw new BadRequestException(
        `Expected a JSON body { "userId": <positive whole number> }, got userId ${JSON.stringify(userId) ?? 'missing'}`,
      );
    }
    return { userId };
  }
}
