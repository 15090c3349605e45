// Imported first by main.ts and worker.ts, before Nest, `http` or `pg` are loaded: with
// OTEL_EXPORTER_OTLP_ENDPOINT set, traces go over OTLP/HTTP to that collector (the HTTP
// requests, the task queue's send and process spans, and the SQL of `pg`); unset, no
// OpenTelemetry SDK is even loaded, and the task queue's spans are no-ops.
import { createRequire } from 'node:module';

/** Flushes the spans still buffered and stops exporting (a no-op when tracing is off). */
export const stopTracing: () => Promise<void> = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  ? await startTracing()
  : () => Promise.resolve();

async function startTracing(): Promise<() => Promise<void>> {
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const [{ HttpInstrumentation }, { PgInstrumentation }] = await Promise.all([
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resources.resourceFromAttributes({
      'service.name': process.env.OTEL_SERVICE_NAME ?? 'task-queue-example',
    }),
    // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT and posts to its /v1/traces.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The W3C trace context propagator and the AsyncLocalStorage context manager.
  provider.register();
  const instrumentations = [
    new HttpInstrumentation(),
    // Only queries made inside a traced request or job: not the queue backend's own polling.
    new PgInstrumentation({ requireParentSpan: true }),
  ];
  // The instrumentations patch a module when it is required: this ESM application imports
  // them, so require them once here and every later import gets the patched module.
  const require = createRequire(import.meta.url);
  require('node:http');
  require('pg');
  return async () => {
    for (const instrumentation of instrumentations) instrumentation.disable();
    await provider.shutdown();
  };
}
