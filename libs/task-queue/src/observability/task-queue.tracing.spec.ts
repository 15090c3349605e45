import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { JobsOptions } from 'bullmq';
import { NonRetryableError, TaskAbortedError, TaskRateLimitedError } from '../errors/index.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import { ABORTED_REASON, SHUTDOWN_REASON } from '../task-queue.constants.js';
import { runFailureOf } from '../worker/run-outcome.js';
import type { RunnableJob } from '../worker/runnable-job.js';
import { spanOutcomeOf } from './task-queue.tracing-attributes.js';
import { loadTracing, TaskTracing } from './task-queue.tracing.js';

const job = (attemptsMade: number, attempts = 1): RunnableJob => ({
  id: '7',
  name: 'send_email',
  data: {},
  attemptsMade,
  attempts,
  timeoutMs: undefined,
  traceContext: undefined,
  native: {},
  updateProgress: () => Promise.resolve(),
  childResults: () => Promise.resolve([]),
});

describe('spanOutcomeOf', () => {
  it('tells a retry from the last failure by the attempts left', () => {
    const error = new Error('boom');
    const outcomeOf = (attemptsMade: number, attempts?: number) => {
      const run = job(attemptsMade, attempts);
      return spanOutcomeOf(runFailureOf(error, run, false));
    };
    expect(outcomeOf(0, 3)).toEqual({ outcome: 'retrying', exception: error });
    expect(outcomeOf(2, 3)).toEqual({ outcome: 'failed', exception: error });
    expect(outcomeOf(0)).toEqual({ outcome: 'failed', exception: error });
  });

  it("records the task's own error when it refuses retries, or was aborted", () => {
    const own = new NonRetryableError('no such account');
    const run = job(0, 3);
    expect(spanOutcomeOf(runFailureOf(own, run, false))).toEqual({
      outcome: 'failed',
      exception: own,
    });
    const aborted = new TaskAbortedError(ABORTED_REASON);
    expect(spanOutcomeOf(runFailureOf(aborted, run, false))).toEqual({
      outcome: 'aborted',
      exception: aborted,
    });
  });

  it('a run put back by ctx.rateLimit() shows as a retry, or as the failure of the last attempt', () => {
    const pause = new TaskRateLimitedError('paused its queue', 30);
    expect(spanOutcomeOf(runFailureOf(pause, job(0, 3), false))).toEqual({
      outcome: 'retrying',
      exception: pause,
    });
    expect(spanOutcomeOf(runFailureOf(pause, job(2, 3), false))).toEqual({
      outcome: 'failed',
      exception: pause,
    });
  });

  it('a run put back by a shutdown did not fail: no error to record', () => {
    const run = job(0, 3);
    const shutdown = new WorkerShutdownError(SHUTDOWN_REASON);
    expect(spanOutcomeOf(runFailureOf(shutdown, run, false))).toEqual({
      outcome: 'requeued',
    });
  });
});

describe('loadTracing', () => {
  it('without @opentelemetry/api, tracing is off and passes every call through', async () => {
    const missing = Object.assign(new Error("Cannot find package '@opentelemetry/api'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const tracing = await loadTracing(() => Promise.reject(missing));
    const opts: JobsOptions = { attempts: 2 };
    const added = await tracing.send('default', 'send_email', opts, async (given) => {
      expect(given).toBe(opts);
      return { id: '1' };
    });
    expect(added).toEqual({ id: '1' });
    await tracing.sendBatch('default', 2, async (inject) => expect(inject(opts)).toBe(opts));
    const processor = async () => 'done';
    expect(tracing.process('default', processor)).toBe(processor);
  });

  it('throws any other failure to load it', async () => {
    const broken = new SyntaxError('Unexpected token');
    await expect(loadTracing(() => Promise.reject(broken))).rejects.toBe(broken);
  });
});

describe('TaskTracing with the API and no SDK registered', () => {
  const tracing = new TaskTracing(api);

  it('carries nothing in the job, and calls the run as it is', async () => {
    const opts: JobsOptions = { attempts: 2 };
    await tracing.send('default', 'send_email', opts, async (given) => {
      expect(given).toBe(opts);
      return { id: '1' };
    });
    const run = tracing.process('default', async () => 'done');
    await expect(run(job(0))).resolves.toBe('done');
    const error = new Error('boom');
    const failing = tracing.process('default', () => Promise.reject(error));
    await expect(failing(job(0))).rejects.toBe(error);
    const throwing = tracing.process('default', () => {
      throw error;
    });
    // As without tracing: the backend turns the processor's throw into the job's failure.
    expect(() => throwing(job(0))).toThrow(error);
  });
});

describe('TaskTracing with an SDK registered', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracing = new TaskTracing(api);

  beforeAll(() => provider.register({ contextManager: new AsyncLocalStorageContextManager() }));
  afterAll(async () => {
    await provider.shutdown();
    api.trace.disable();
    api.context.disable();
    api.propagation.disable();
  });

  it("carries the send span's context in opts.telemetry.metadata, as W3C traceparent", async () => {
    let carried: JobsOptions = {};
    const opts: JobsOptions = { attempts: 2 };
    await tracing.send('default', 'send_email', opts, async (given) => {
      carried = given;
      return { id: '9' };
    });
    const [send] = exporter.getFinishedSpans();
    const { traceId, spanId } = send.spanContext();
    expect(carried.attempts).toBe(2);
    expect(JSON.parse(carried.telemetry!.metadata!)).toEqual({
      traceparent: `00-${traceId}-${spanId}-01`,
    });
  });

  it('a job whose metadata is not a trace context runs in a new trace', async () => {
    exporter.reset();
    const odd = { ...job(0), traceContext: 'not json' };
    await tracing.process('default', async () => null)(odd);
    const [run] = exporter.getFinishedSpans();
    expect(run.name).toBe('process default');
    expect(run.parentSpanContext).toBeUndefined();
  });
});
