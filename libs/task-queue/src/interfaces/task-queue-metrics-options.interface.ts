/**
 * A prom-client `Registry` (or prom-client's default `register`), as far as the module uses one:
 * the module's metrics are added to it, and `TaskQueueMetrics.prometheus()` returns its text.
 * Declared here so that applications without prom-client compile without its types.
 */
export interface MetricsRegistry {
  /** Every metric of the registry in the Prometheus text format. */
  metrics(): Promise<string>;
  /** The metric of that name, if the registry has one. */
  getSingleMetric(name: string): unknown;
  /** Adds a metric (prom-client's metrics add themselves to the registries they are given). */
  registerMetric(metric: never): void;
}

/**
 * Where the module's Prometheus metrics go. Needs the package `prom-client`.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 *
 * const registry = new Registry();
 * TaskQueueModule.forRoot({ metrics: { registry } });
 * ```
 */
export interface TaskQueueMetricsOptions {
  /**
   * The registry to add the metrics to. Default: prom-client's default `register`, the one
   * `@willsoto/nestjs-prometheus` serves. Applications of one process that share a registry
   * share the metrics (each adds its runs and its queues).
   */
  registry?: MetricsRegistry;
}
