import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { stopTracing } from '../tracing.js';

/**
 * Sends the spans still buffered when the application closes, after the workers have stopped:
 * every process of the example (API, `runWorker`, CLI) closes through Nest, and the spans of
 * the last jobs would otherwise be lost with the process.
 */
@Injectable()
export class TracingFlush implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return stopTracing();
  }
}
