/** @internal The text of the errors and logs of the Prometheus metrics. */
export const metricsMessages = {
  metricsOff: () =>
    `TaskQueueMetrics.prometheus(): metrics are off (TaskQueueModule.forRoot({ metrics: false ` +
    `})). Remove that option to have them.`,
  promClientMissing: (problem: string) =>
    `TaskQueueMetrics.prometheus(): metrics need the package 'prom-client', which could not be ` +
    `loaded (${problem}). Install it: npm install prom-client`,
  promClientNeeded: (problem: string) =>
    `TaskQueueModule: option 'metrics.registry' needs the package 'prom-client', which could ` +
    `not be loaded (${problem}). Install it: npm install prom-client`,
  metricClash: (name: string, wanted: string) =>
    `TaskQueueModule: the metrics registry already has a metric '${name}' that is not ${wanted}, ` +
    `as the module's is. Rename or remove that metric, or give the module a registry of its ` +
    `own: TaskQueueModule.forRoot({ metrics: { registry: new Registry() } }).`,
  queueGaugesUnavailable: (store: string, problem: string) =>
    `Metrics: the queue gauges are left out of scrapes while ${store} does not answer ` +
    `(${problem}); the duration histogram is still served. Said once, until it answers again.`,
  queueGaugesBack: (store: string) => `Metrics: ${store} answers again; queue gauges served.`,
};
