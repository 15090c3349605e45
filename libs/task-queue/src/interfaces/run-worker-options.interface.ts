import type { LoggerService, LogLevel } from '@nestjs/common';

/** Options of `runWorker`: which queues this worker process serves, and how hard. */
export interface RunWorkerOptions {
  /** Queues to run workers for. Default: every configured queue. */
  queues?: string[];
  /** Jobs run at once per queue in this process. Default: each queue's own concurrency. */
  concurrency?: number;
  /** Nest's `logger` option of the application context: a `LoggerService`, levels, or `false`. */
  logger?: LoggerService | LogLevel[] | false;
}
