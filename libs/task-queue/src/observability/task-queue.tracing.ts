import type * as Otel from '@opentelemetry/api';
import type { RunFailure } from '../worker/run-outcome.js';
import type { RunnableJob, RunProcessor } from '../worker/runnable-job.js';
import {
  batchAttributes,
  processAttributes,
  spanOutcomeOf,
  sendAttributes,
  SPAN,
  stepAttributes,
  type RunSpanOutcome,
} from './task-queue.tracing-attributes.js';

/** `@opentelemetry/api`, as loaded. */
type OtelApi = typeof Otel;

/** The instrumentation scope of the module's spans. */
export const TRACER_NAME = 'nestjs-task-queue';

/** @internal Job options that carry a trace context: `telemetry.metadata`, as BullMQ's own. */
export interface TracedOptions {
  telemetry?: { metadata?: string; omitContext?: boolean };
}

/**
 * Puts a trace context into a job's options, for the run of that job to continue its trace;
 * returns the options unchanged when there is nothing to carry (no SDK registered).
 */
export type TraceInjector = <O extends TracedOptions>(opts: O) => O;

/**
 * @internal The module's OpenTelemetry spans, through `@opentelemetry/api` (an optional peer):
 * a PRODUCER span `send <queue>` per enqueue (or batch), whose context travels with the job in
 * `opts.telemetry.metadata` (W3C `traceparent`, the field and format BullMQ's own telemetry
 * uses), and a CONSUMER span `process <queue>` per run, a child of that context, under which
 * the per-job providers and the task body run, and a span `step <id>` per durable step of the
 * body, a child of the run's. Without the package it does nothing at all;
 * with it but no SDK registered, the API's no-op tracer and propagator make each call cheap.
 */
export class TaskTracing {
  private readonly tracer?: Otel.Tracer;

  constructor(private readonly api?: OtelApi) {
    this.tracer = api?.trace.getTracer(TRACER_NAME);
  }

  /**
   * Sends one job of task `task` in a `send <queue>` span: `add` gets the job's options with the
   * span's context in them, and runs inside the span; the job's id goes on the span.
   */
  send<O extends TracedOptions, J extends { id?: string }>(
    queue: string,
    task: string,
    opts: O,
    add: (opts: O) => Promise<J>,
  ): Promise<J> {
    return this.produce(
      queue,
      sendAttributes(queue, task),
      (inject) => add(inject(opts)),
      (job) => job.id,
    );
  }

  /**
   * Sends several jobs in one `send <queue>` span (`messaging.batch.message_count`): `add` gets
   * an injector to call on the options of each job it sends, so that each run continues this
   * trace. A flow calls it on every node, with its root job's `id` for the span's message id.
   */
  sendBatch<T>(
    queue: string,
    count: number,
    add: (inject: TraceInjector) => Promise<T>,
    id?: string,
  ): Promise<T> {
    return this.produce(
      queue,
      batchAttributes(queue, count),
      add,
      id === undefined ? undefined : () => id,
    );
  }

  /**
   * Wraps a queue's processor: each run in a `process <queue>` span, continuing the trace its
   * job carries (a job without one, such as a scheduler's tick, starts a new trace), with the
   * run's outcome, and its error recorded.
   */
  process(queue: string, run: RunProcessor): RunProcessor {
    const { api, tracer } = this;
    if (!api || !tracer) return run;
    return (job: RunnableJob) => {
      const parent = this.extract(job.traceContext);
      const span = tracer.startSpan(
        `process ${queue}`,
        { kind: api.SpanKind.CONSUMER, attributes: processAttributes(queue, job) },
        parent,
      );
      // No SDK registered: the run as it is, with no context to enter and nothing to record.
      if (this.inert(span)) return run(job);
      return api.context
        .with(api.trace.setSpan(parent, span), () => run(job))
        .then(
          (result) => {
            span.setAttribute(SPAN.outcome, 'completed' satisfies RunSpanOutcome);
            span.end();
            return result;
          },
          // A worker's processor rejects only with how its run ended.
          (failure: RunFailure) => {
            const { outcome, exception } = spanOutcomeOf(failure);
            span.setAttribute(SPAN.outcome, outcome);
            if (exception) this.recordError(span, exception);
            span.end();
            throw failure;
          },
        );
    };
  }

  /**
   * Runs `body`, step `id` of the run active here, in a `step <id>` span, a child of the span
   * active there (the run's): with the step's id, and whether its result was `replayed` from
   * the job's journal (then `body` only returns it); a step that throws records its error.
   */
  step<R>(id: string, replayed: boolean, body: () => Promise<R>): Promise<R> {
    const { api, tracer } = this;
    if (!api || !tracer) return body();
    const active = api.context.active();
    const attributes = stepAttributes(id, replayed);
    const span = tracer.startSpan(`step ${id}`, { attributes }, active);
    if (this.inert(span)) return body();
    return this.ending(span, api.context.with(api.trace.setSpan(active, span), body));
  }

  /** A producer span around `add`, whose context `inject` puts into jobs. */
  private produce<T>(
    queue: string,
    attributes: Otel.Attributes,
    add: (inject: TraceInjector) => Promise<T>,
    idOf?: (result: T) => string | undefined,
  ): Promise<T> {
    const { api, tracer } = this;
    if (!api || !tracer) return add(untraced);
    const span = tracer.startSpan(`send ${queue}`, {
      kind: api.SpanKind.PRODUCER,
      attributes,
    });
    if (this.inert(span)) return add(untraced);
    const context = api.trace.setSpan(api.context.active(), span);
    const carried = this.carrierOf(context);
    const inject: TraceInjector = (opts) =>
      carried ? { ...opts, telemetry: { ...opts.telemetry, metadata: carried } } : opts;
    return this.ending(
      span,
      api.context.with(context, () => add(inject)),
      (result) => {
        const id = idOf?.(result);
        if (id !== undefined) span.setAttribute(SPAN.messageId, id);
      },
    );
  }

  /** Ends `span` once `work` settles (`done` first, on success), recording its error if any. */
  private ending<T>(span: Otel.Span, work: Promise<T>, done?: (result: T) => void): Promise<T> {
    return work.then(
      (result) => {
        done?.(result);
        span.end();
        return result;
      },
      (error: unknown) => {
        this.recordError(span, error);
        span.end();
        throw error;
      },
    );
  }

  /**
   * Whether `span` is one of the API's no-op tracer (no SDK registered): nothing to record, and
   * no trace to carry. A span an SDK's sampler left out is not: its context still travels.
   */
  private inert(span: Otel.Span): boolean {
    return !span.isRecording() && !this.api!.isSpanContextValid(span.spanContext());
  }

  /** The context as `opts.telemetry.metadata` holds it, or undefined when nothing is carried. */
  private carrierOf(context: Otel.Context): string | undefined {
    const carrier: Record<string, string> = {};
    this.api!.propagation.inject(context, carrier);
    for (const _ in carrier) return JSON.stringify(carrier);
    return undefined;
  }

  /** The context a job carries, on top of the root context (never the worker loop's). */
  private extract(metadata: string | undefined): Otel.Context {
    const { propagation, ROOT_CONTEXT } = this.api!;
    if (!metadata) return ROOT_CONTEXT;
    let carrier: unknown;
    try {
      carrier = JSON.parse(metadata);
    } catch {
      // Metadata that is not ours (nor BullMQ's): the run starts a trace of its own.
      return ROOT_CONTEXT;
    }
    return typeof carrier === 'object' && carrier !== null
      ? propagation.extract(ROOT_CONTEXT, carrier)
      : ROOT_CONTEXT;
  }

  private recordError(span: Otel.Span, error: unknown): void {
    const { SpanStatusCode } = this.api!;
    const exception = error instanceof Error ? error : String(error);
    span.recordException(exception);
    span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: textOf(error) });
  }
}

/** The injector when there is no trace to carry. */
const untraced: TraceInjector = (opts) => opts;

const textOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * @internal Loads `@opentelemetry/api` if the application has it: tracing is on only then.
 * Any other failure to load it is thrown, not taken for its absence.
 */
export async function loadTracing(
  load: () => Promise<OtelApi> = () => import('@opentelemetry/api'),
): Promise<TaskTracing> {
  try {
    return new TaskTracing(await load());
  } catch (error) {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return new TaskTracing();
    throw error;
  }
}
