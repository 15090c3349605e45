import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  BackendUnavailableError,
  InvalidOptionsError,
  InvalidPayloadError,
  UnknownQueueError,
} from '@app/task-queue';

type CaughtError =
  UnknownQueueError | InvalidPayloadError | InvalidOptionsError | BackendUnavailableError;

/**
 * Answers the task queue's caller errors with an HTTP status and the library's own message,
 * which says what to fix: unknown queue 404, rejected payload or options 400, the queues'
 * backend (Redis, PostgreSQL) down 503.
 */
@Catch(UnknownQueueError, InvalidPayloadError, InvalidOptionsError, BackendUnavailableError)
export class TaskQueueErrorsFilter implements ExceptionFilter<CaughtError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: CaughtError, host: ArgumentsHost): void {
    const statusCode =
      error instanceof UnknownQueueError
        ? HttpStatus.NOT_FOUND
        : error instanceof InvalidPayloadError || error instanceof InvalidOptionsError
          ? HttpStatus.BAD_REQUEST
          : HttpStatus.SERVICE_UNAVAILABLE;
    const body = { statusCode, error: error.name, message: error.message };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, statusCode);
  }
}
