import type { INestApplicationContext, LoggerService } from '@nestjs/common';

/**
 * Closes `app` on SIGTERM or SIGINT, then exits 0. The task queue's shutdown runs inside
 * `close()`: workers take no new job and active ones get the grace period to finish. Nest's
 * `enableShutdownHooks()` would re-raise the signal after closing, which ends the process with
 * a signal rather than success. A second signal while closing ends it at once.
 */
export function closeOnSignals(app: INestApplicationContext, logger: LoggerService): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: shutting down (active jobs finish first)`);
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(
            `Shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
          );
          process.exit(1);
        },
      );
    });
  }
}
