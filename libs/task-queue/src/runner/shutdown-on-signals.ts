import type { INestApplicationContext, LoggerService, OnApplicationShutdown } from '@nestjs/common';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type Signal = (typeof SIGNALS)[number];

/**
 * @internal Closes the application on SIGTERM or SIGINT, then ends the process with exit 0
 * (1 when closing failed). Nest's `enableShutdownHooks()` would raise the signal again after
 * closing, ending the process by a signal rather than with success. The task queue's shutdown
 * runs inside `close()`: workers take no new job and active ones get the grace period. A
 * second signal while closing ends the process at once. A signal that arrives while the
 * application is still booting closes it as soon as it is up.
 */
export class ShutdownOnSignals implements OnApplicationShutdown {
  private readonly listeners = new Map<Signal, () => void>();
  private app?: INestApplicationContext;
  private graceSeconds?: number;
  private received?: Signal;
  private closing = false;

  constructor(private readonly logger: LoggerService) {}

  /** Starts listening; call before booting, so no signal ends the process unclosed. */
  listen(): void {
    for (const signal of SIGNALS) {
      const listener = () => this.onSignal(signal);
      this.listeners.set(signal, listener);
      process.on(signal, listener);
    }
  }

  /** The booted application, closed on the first signal (at once if one came meanwhile). */
  attach(app: INestApplicationContext, graceSeconds: number): void {
    this.app = app;
    this.graceSeconds = graceSeconds;
    if (this.received) this.close(this.received);
  }

  /** Stops listening: the application was closed by other means, or never booted. */
  stop(): void {
    for (const [signal, listener] of this.listeners) process.off(signal, listener);
    this.listeners.clear();
  }

  onApplicationShutdown(): void {
    if (!this.closing) this.stop();
  }

  private onSignal(signal: Signal): void {
    if (this.closing || this.received) {
      this.stop();
      process.kill(process.pid, signal);
      return;
    }
    this.received = signal;
    if (this.app) this.close(signal);
  }

  private close(signal: Signal): void {
    const app = this.app!;
    this.closing = true;
    this.logger.log(
      `${signal}: shutting down; active jobs get ${this.graceSeconds} s to finish, then go ` +
        'back on their queue.',
    );
    app.close().then(
      () => {
        this.stop();
        process.exit(0);
      },
      (error: unknown) => {
        this.logger.error(
          `Shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        process.exit(1);
      },
    );
  }
}
