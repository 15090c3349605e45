import {
  Catch,
  HttpStatus,
  Inject,
  Logger,
  Optional,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { BackendUnavailableError } from '../errors/backend-unavailable.error.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { TaskFailedError } from '../errors/task-failed.error.js';
import { TaskQueueConfigError } from '../errors/task-queue-config.error.js';
import { TaskWaitTimeoutError } from '../errors/task-wait-timeout.error.js';
import { UnknownQueueError } from '../errors/unknown-queue.error.js';
import { httpMessages } from './task-queue-http.messages.js';

/** How {@link TaskQueueExceptionFilter} answers. */
export interface TaskQueueExceptionFilterOptions {
  /**
   * Send a failed task's own error message to the HTTP client in the 500 answer. Default
   * `false`: the answer names the job and its queue only, and the task's error goes to the log.
   */
  exposeTaskErrors?: boolean;
  /** Seconds in the `Retry-After` header of a 503 (backend unreachable) answer. Default 5. */
  retryAfter?: number;
}

/** The body of every answer of {@link TaskQueueExceptionFilter}. */
export interface TaskQueueErrorBody {
  /** The HTTP status, as on the response: 400, 404, 500, 503 or 504. */
  statusCode: number;
  /** The error's class name, such as `'InvalidPayloadError'`. */
  error: string;
  /**
   * The error's message; for a `TaskFailedError`, unless `exposeTaskErrors` is set, a
   * sentence naming the job instead of the task's own message.
   */
  message: string;
}

/**
 * The errors the filter catches (its `@Catch()` list); other errors go on to Nest's other filters.
 *
 * @inline
 */
type CaughtError =
  | InvalidPayloadError
  | InvalidOptionsError
  | UnknownQueueError
  | BackendUnavailableError
  | TaskWaitTimeoutError
  | TaskFailedError;

/**
 * What the filter needs of the platform's response: Express's `Response` and Fastify's `Reply`
 * both have these, so the filter needs no `HttpAdapterHost` and can be made with `new`.
 */
interface PlatformResponse {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
  send(body: unknown): unknown;
}

const DEFAULT_RETRY_AFTER = 5;

/** @internal Nest resolves the options through it when the filter comes from `useClass`. */
const FILTER_OPTIONS = Symbol('TaskQueueExceptionFilterOptions');

/**
 * Answers the task queue's errors in HTTP controllers with a status and a JSON body
 * `{ statusCode, error, message }`: `InvalidPayloadError` and `InvalidOptionsError` 400,
 * `UnknownQueueError` 404, `BackendUnavailableError` (Redis or PostgreSQL unreachable) 503 with
 * `Retry-After`, `TaskWaitTimeoutError` 504, `TaskFailedError` 500 naming the job but not the
 * task's error (logged instead) unless `exposeTaskErrors` is set. Every other error goes on to
 * Nest's own handling. Works on Express and Fastify.
 *
 * @example
 * ```ts
 * // app.module.ts: for every controller, with the defaults
 * providers: [{ provide: APP_FILTER, useClass: TaskQueueExceptionFilter }];
 * // or with options
 * providers: [
 *   { provide: APP_FILTER, useFactory: () => new TaskQueueExceptionFilter({ retryAfter: 10 }) },
 * ];
 * // or in main.ts
 * app.useGlobalFilters(new TaskQueueExceptionFilter({ exposeTaskErrors: true }));
 * ```
 */
@Catch(
  InvalidPayloadError,
  InvalidOptionsError,
  UnknownQueueError,
  BackendUnavailableError,
  TaskWaitTimeoutError,
  TaskFailedError,
)
export class TaskQueueExceptionFilter implements ExceptionFilter<CaughtError> {
  private readonly logger = new Logger('TaskQueueExceptionFilter');
  private readonly exposeTaskErrors: boolean;
  private readonly retryAfter: string;

  constructor(@Optional() @Inject(FILTER_OPTIONS) options: TaskQueueExceptionFilterOptions = {}) {
    const { exposeTaskErrors = false, retryAfter = DEFAULT_RETRY_AFTER } = options;
    if (!Number.isSafeInteger(retryAfter) || retryAfter < 0) {
      throw new TaskQueueConfigError(httpMessages.invalidRetryAfter(retryAfter));
    }
    this.exposeTaskErrors = exposeTaskErrors;
    this.retryAfter = String(retryAfter);
  }

  catch(error: CaughtError, host: ArgumentsHost): void {
    // Outside HTTP (RPC, WebSockets, GraphQL) the error goes on as it came.
    if (host.getType() !== 'http') throw error;
    const response = host.switchToHttp().getResponse<PlatformResponse>();
    const statusCode = statusOf(error);
    let message = error.message;
    if (error instanceof TaskFailedError) {
      // The task's error is the server's business: logged here, sent only when configured.
      this.logger.error(error.message, error.stack);
      if (!this.exposeTaskErrors) message = httpMessages.taskFailed(error.jobId, error.queue);
    }
    if (statusCode === HttpStatus.SERVICE_UNAVAILABLE) {
      response.header('Retry-After', this.retryAfter);
    }
    const body: TaskQueueErrorBody = { statusCode, error: error.name, message };
    response.status(statusCode);
    response.send(body);
  }
}

function statusOf(error: CaughtError): HttpStatus {
  if (error instanceof InvalidPayloadError || error instanceof InvalidOptionsError) {
    return HttpStatus.BAD_REQUEST;
  }
  if (error instanceof UnknownQueueError) return HttpStatus.NOT_FOUND;
  if (error instanceof BackendUnavailableError) return HttpStatus.SERVICE_UNAVAILABLE;
  if (error instanceof TaskWaitTimeoutError) return HttpStatus.GATEWAY_TIMEOUT;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}
