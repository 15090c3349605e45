import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InvalidPayloadError, RedisUnavailableError, UnknownQueueError } from '@app/task-queue';

type CaughtError = UnknownQueueError | InvalidPayloadError | RedisUnavailableError;

/**
 * Answers the task queue's caller errors with an HTTP status and the library's own message,
 * which says what to fix: unknown queue 404, rejected payload 400, Redis down 503.
 */
@Catch(UnknownQueueError, InvalidPayloadError, RedisUnavailableError)
export class TaskQueueErrorsFilter implements ExceptionFilter<CaughtError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: CaughtError, host: ArgumentsHost): void {
    const statusCode =
      error instanceof UnknownQueueError
        ? HttpStatus.NOT_FOUND
        : error instanceof InvalidPayloadError
          ? HttpStatus.BAD_REQUEST
          : HttpStatus.SERVICE_UNAVAILABLE;
    const body = { statusCode, error: error.name, message: error.message };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, statusCode);
  }
}
