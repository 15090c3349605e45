// OpenTelemetry traces from an HTTP request to the task it enqueues, with the SDK's in-memory
// exporter registered in this process: the HTTP server span (instrumentation-http), the enqueue's
// PRODUCER span as its child, the run's CONSUMER span as the enqueue's child, and what the run's
// per-job providers and body do nested under the run. Also failures, retries, ticks, the
// jobs of a flow (on two queues) and of a map, and a durable task's steps under each execution.
// On Redis only: the trace context travels in each job's data, which every backend stores as it is.
import nodeHttp from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Body,
  Controller,
  Injectable,
  Module,
  Post,
  Scope,
  type INestApplication,
} from '@nestjs/common';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { UnrecoverableError } from 'bullmq';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  NonRetryableError,
  ScheduledTask,
  Task,
  TaskQueues,
  type OnTaskSuccess,
  type TaskContext,
} from '@app/task-queue';
import { BACKEND, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { QUIET, startTaskApp } from './support/task-app.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const http = new HttpInstrumentation({ disableOutgoingRequestInstrumentation: true });
/** instrumentation-http's patch of the `http` module. */
const httpPatch = http.getModuleDefinitions().find((definition) => definition.name === 'http')!;

beforeAll(() => {
  // The W3C propagator and the AsyncLocalStorage context manager, as an application's SDK sets them.
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  http.setTracerProvider(provider);
  // An application registers instrumentation-http before it loads `http`, whose require it
  // hooks; Jest's module registry loads core modules without that hook, so the spec applies
  // the instrumentation's own patch to the `http` module (its server's `emit`) itself.
  httpPatch.patch!(nodeHttp);
});

afterAll(async () => {
  httpPatch.unpatch!(nodeHttp);
  http.disable();
  await provider.shutdown();
  trace.disable();
});

/** The span id active where a per-job provider is made and where its hook runs. */
@Injectable({ scope: Scope.REQUEST })
class Session implements OnTaskSuccess {
  readonly openedIn = trace.getActiveSpan()?.spanContext().spanId;
  committedIn?: string;

  onTaskSuccess() {
    this.committedIn = trace.getActiveSpan()?.spanContext().spanId;
    seen.set(`commit:${this.openedIn}`, this.committedIn ?? 'none');
  }
}

/** Where things ran, by job id: the span ids active in the body and the session. */
const seen = new Map<string, string>();

@Injectable()
class TracedTasks {
  @Task({ name: 'traced' })
  traced(ctx: TaskContext, _payload: object, session: Session) {
    seen.set(`body:${ctx.job.id}`, trace.getActiveSpan()?.spanContext().spanId ?? 'none');
    seen.set(`session:${ctx.job.id}`, session.openedIn ?? 'none');
    return { ok: true };
  }

  @Task({ name: 'always_fails', retries: 1, retryDelay: 0 })
  alwaysFails(): never {
    throw new RangeError('the ledger is out of balance');
  }

  @Task({ name: 'refused', retries: 3 })
  refused(): never {
    throw new NonRetryableError('no such account');
  }

  // As a task ported from @nestjs/bullmq throws it: BullMQ then fails the job for good.
  @Task({ name: 'unrecoverable', retries: 3 })
  unrecoverable(): never {
    throw new UnrecoverableError('card declined');
  }

  /** A step, a sleep, then a step that fails on the first attempt: three executions. */
  @Task({ name: 'stepped', retries: 1, retryDelay: 0 })
  async stepped(ctx: TaskContext) {
    const where = () => trace.getActiveSpan()?.spanContext().spanId ?? 'none';
    await ctx.step('charge', () => void seen.set(`charge:${ctx.job.id}`, where()));
    await ctx.sleep(0.2);
    await ctx.step('receipt', () => {
      if (ctx.job.attempt === 1) throw new RangeError('receipt service down');
      seen.set(`receipt:${ctx.job.id}`, where());
    });
  }

  @ScheduledTask({ name: 'tick', every: 1 })
  tick() {}

  @Task({ name: 'flow_parent' })
  flowParent(ctx: TaskContext) {
    return ctx.childResults<number>();
  }

  @Task({ name: 'flow_leaf', queue: 'reports' })
  flowLeaf(_ctx: TaskContext, { n }: { n: number }) {
    return n;
  }

  @Task({ name: 'square' })
  square(_ctx: TaskContext, { n }: { n: number }) {
    return n * n;
  }
}

@Controller()
class TracedController {
  constructor(private readonly taskQueues: TaskQueues) {}

  @Post('enqueue')
  async enqueue(@Body() { task }: { task: string }) {
    return this.taskQueues.get('default').enqueue(task, {});
  }

  @Post('enqueue-many')
  async enqueueMany(@Body() { count }: { count: number }) {
    const items = Array.from({ length: count }, () => ({ name: 'traced' }));
    return this.taskQueues.get('default').enqueueMany(items);
  }
}

@Module({ providers: [TracedTasks, Session], controllers: [TracedController] })
class TracedModule {}

const backend = testBackend('tracing');
let app: INestApplication;
let baseUrl: string;

beforeAll(async () => {
  app = await startTaskApp({
    backend,
    imports: [TracedModule],
    options: { queues: { default: {}, reports: {} } },
    logger: QUIET,
    listen: '127.0.0.1',
  });
  baseUrl = await app.getUrl();
}, 60_000);

const attr = (span: ReadableSpan, name: string) => span.attributes[name];
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const byStart = (a: ReadableSpan, b: ReadableSpan) =>
  a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];

/** POSTs an enqueue of `task`; its job id. */
async function enqueueOverHttp(task: string): Promise<string> {
  const response = await fetch(`${baseUrl}/enqueue`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ task }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** The finished run spans of job `id`, once there are `count` of them. */
const runSpans = (id: string, count: number) =>
  eventually(
    () => {
      const runs = exporter
        .getFinishedSpans()
        .filter(
          (span) => span.name === 'process default' && attr(span, 'messaging.message.id') === id,
        );
      return runs.length >= count ? runs : undefined;
    },
    20_000,
    `${count} run span(s) of job ${id}`,
  );

/** Runs `call` in an active span of the spec's own, as an application's code would; its trace id. */
function inCallerSpan<T>(call: () => Promise<T>): Promise<[T, string]> {
  return trace.getTracer('spec').startActiveSpan('caller', async (span): Promise<[T, string]> => {
    try {
      return [await call(), span.spanContext().traceId];
    } finally {
      span.end();
    }
  });
}

/**
 * The one `send default` span of trace `traceId` (a child of the caller's span) and the `count`
 * run spans of the jobs it sent, once they have all finished; each run completed, as its child.
 */
async function sentInOneSpan(traceId: string, count: number) {
  const { spans, runs } = await eventually(
    () => {
      const spans = exporter.getFinishedSpans().filter((span) => traceOf(span) === traceId);
      const runs = spans.filter((span) => span.kind === SpanKind.CONSUMER);
      return runs.length >= count ? { spans, runs } : undefined;
    },
    20_000,
    `${count} run span(s) in trace ${traceId}`,
  );
  const caller = spans.find((span) => span.name === 'caller')!;
  const sends = spans.filter((span) => span.kind === SpanKind.PRODUCER);
  expect(sends.map((span) => [span.name, parentOf(span)])).toEqual([
    ['send default', idOf(caller)],
  ]);
  const [send] = sends;
  expect(runs).toHaveLength(count);
  for (const run of runs) {
    expect(parentOf(run)).toBe(idOf(send));
    expect(attr(run, 'task_queue.job.outcome')).toBe('completed');
  }
  return { send, runs };
}

describe(`tracing on ${BACKEND}`, () => {
  it('one request gives one trace: HTTP server span > send span > process span', async () => {
    const id = await enqueueOverHttp('traced');
    const [run] = await runSpans(id, 1);
    // The server span ends with the response, which may come after the run has ended.
    const spans = await eventually(
      () => {
        const inTrace = exporter
          .getFinishedSpans()
          .filter((span) => traceOf(span) === traceOf(run));
        return inTrace.some((span) => span.kind === SpanKind.SERVER) ? inTrace : undefined;
      },
      10_000,
      'the HTTP server span',
    );
    const server = spans.find((span) => span.kind === SpanKind.SERVER);
    const send = spans.find((span) => span.name === 'send default');
    expect(spans).toHaveLength(3);
    expect(parentOf(server!)).toBeUndefined();
    expect(parentOf(send!)).toBe(idOf(server!));
    expect(parentOf(run)).toBe(idOf(send!));

    expect(send!.kind).toBe(SpanKind.PRODUCER);
    expect(send!.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'default',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.message.id': id,
      'task_queue.task.name': 'traced',
    });
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(run.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'default',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.message.id': id,
      'task_queue.task.name': 'traced',
      'task_queue.job.attempt': 1,
      'task_queue.job.outcome': 'completed',
    });
    expect(run.status.code).not.toBe(SpanStatusCode.ERROR);

    // The per-job provider is made, the body runs and the success hook runs in the run's span.
    expect(seen.get(`body:${id}`)).toBe(idOf(run));
    expect(seen.get(`session:${id}`)).toBe(idOf(run));
    expect(seen.get(`commit:${idOf(run)}`)).toBe(idOf(run));
  });

  it("a failing task's runs record its exception; the retry is a second run in the same trace", async () => {
    const id = await enqueueOverHttp('always_fails');
    const runs = await runSpans(id, 2);
    const [first, second] = runs.sort(
      (a, b) =>
        Number(attr(a, 'task_queue.job.attempt')) - Number(attr(b, 'task_queue.job.attempt')),
    );
    expect(traceOf(first)).toBe(traceOf(second));
    expect(parentOf(first)).toBe(parentOf(second));
    expect(
      [first, second].map((span) => [
        attr(span, 'task_queue.job.attempt'),
        attr(span, 'task_queue.job.outcome'),
        span.status.code,
        span.status.message,
        attr(span, 'error.type'),
      ]),
    ).toEqual([
      [1, 'retrying', SpanStatusCode.ERROR, 'the ledger is out of balance', 'RangeError'],
      [2, 'failed', SpanStatusCode.ERROR, 'the ledger is out of balance', 'RangeError'],
    ]);
    for (const span of [first, second]) {
      const [event] = span.events.filter((e) => e.name === 'exception');
      expect(event.attributes).toMatchObject({
        'exception.type': 'RangeError',
        'exception.message': 'the ledger is out of balance',
      });
    }
    const send = exporter.getFinishedSpans().find((span) => idOf(span) === parentOf(first));
    expect(send?.name).toBe('send default');
  });

  it('a task that refuses retries records its own error, in one run', async () => {
    const id = await enqueueOverHttp('refused');
    const [run] = await runSpans(id, 1);
    expect(run.attributes).toMatchObject({
      'task_queue.job.attempt': 1,
      'task_queue.job.outcome': 'failed',
      'error.type': 'NonRetryableError',
    });
    const [event] = run.events.filter((e) => e.name === 'exception');
    expect(event.attributes).toMatchObject({
      'exception.type': 'NonRetryableError',
      'exception.message': 'no such account',
    });
  });

  it("BullMQ's UnrecoverableError thrown by a task is a failed run, not a retry", async () => {
    const id = await enqueueOverHttp('unrecoverable');
    const [run] = await runSpans(id, 1);
    expect(run.attributes).toMatchObject({
      'task_queue.job.attempt': 1,
      'task_queue.job.outcome': 'failed',
      'error.type': 'UnrecoverableError',
    });
  });

  it('enqueueMany sends in one span; each run is its child', async () => {
    const response = await fetch(`${baseUrl}/enqueue-many`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 3 }),
    });
    const jobs = (await response.json()) as { id: string }[];
    expect(jobs).toHaveLength(3);
    const runs = await Promise.all(jobs.map(async ({ id }) => (await runSpans(id, 1))[0]));
    const send = exporter.getFinishedSpans().find((span) => idOf(span) === parentOf(runs[0]));
    expect(send?.name).toBe('send default');
    expect(send?.kind).toBe(SpanKind.PRODUCER);
    expect(send?.attributes).toMatchObject({ 'messaging.batch.message_count': 3 });
    for (const run of runs) {
      expect(parentOf(run)).toBe(idOf(send!));
      expect(traceOf(run)).toBe(traceOf(send!));
    }
  });

  it("a flow's jobs, at every level and on any queue, run as children of its one send span", async () => {
    const queue = app.get(TaskQueues).get('default');
    const leaf = (n: number) => ({ name: 'flow_leaf', queue: 'reports', payload: { n } });
    const [root, traceId] = await inCallerSpan(() =>
      queue.enqueueFlow({
        name: 'flow_parent',
        children: [{ name: 'flow_parent', children: [leaf(1), leaf(2)] }, leaf(3)],
      }),
    );
    const { send, runs } = await sentInOneSpan(traceId, 5);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'default',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.message.id': root.id,
      'messaging.batch.message_count': 5,
    });
    expect(runs.map((run) => [run.name, attr(run, 'task_queue.task.name')]).sort()).toEqual([
      ['process default', 'flow_parent'],
      ['process default', 'flow_parent'],
      ['process reports', 'flow_leaf'],
      ['process reports', 'flow_leaf'],
      ['process reports', 'flow_leaf'],
    ]);
    const ids = runs.map((run) => attr(run, 'messaging.message.id'));
    expect(new Set(ids).size).toBe(5);
    expect(ids).toContain(root.id);
  });

  it("a map's jobs run as children of its one send span", async () => {
    const queue = app.get(TaskQueues).get('default');
    const payloads = [{ n: 1 }, { n: 2 }, { n: 3 }];
    const [results, traceId] = await inCallerSpan(() => queue.map('square', payloads));
    expect(results).toEqual([1, 4, 9]);
    const { send, runs } = await sentInOneSpan(traceId, 3);
    expect(send.attributes).toMatchObject({
      'messaging.destination.name': 'default',
      'messaging.operation.type': 'send',
      'messaging.batch.message_count': 3,
    });
    expect(runs.map((run) => [run.name, attr(run, 'task_queue.task.name')])).toEqual(
      Array(3).fill(['process default', 'square']),
    );
  });

  it("each step is a child span of its execution's run span; a replayed step says so", async () => {
    const id = await enqueueOverHttp('stepped');
    const runs = (await runSpans(id, 3)).sort(byStart);
    expect(runs.map((run) => attr(run, 'task_queue.job.outcome'))).toEqual([
      'sleeping',
      'retrying',
      'completed',
    ]);
    expect(new Set(runs.map(traceOf)).size).toBe(1);
    const stepsOf = (run: ReadableSpan) =>
      exporter
        .getFinishedSpans()
        .filter((span) => parentOf(span) === idOf(run))
        .sort(byStart);
    const shown = (span: ReadableSpan) => [
      span.name,
      attr(span, 'task_queue.step.id'),
      attr(span, 'task_queue.step.replayed'),
      span.status.code === SpanStatusCode.ERROR ? span.status.message : 'ok',
    ];
    expect(runs.map((run) => stepsOf(run).map(shown))).toEqual([
      [['step charge', 'charge', false, 'ok']],
      [
        ['step charge', 'charge', true, 'ok'],
        ['step receipt', 'receipt', false, 'receipt service down'],
      ],
      [
        ['step charge', 'charge', true, 'ok'],
        ['step receipt', 'receipt', false, 'ok'],
      ],
    ]);
    const [failed] = stepsOf(runs[1])[1].events.filter((e) => e.name === 'exception');
    expect(failed.attributes).toMatchObject({ 'exception.type': 'RangeError' });
    // What a step's function does runs in the step's span.
    expect(seen.get(`charge:${id}`)).toBe(idOf(stepsOf(runs[0])[0]));
    expect(seen.get(`receipt:${id}`)).toBe(idOf(stepsOf(runs[2])[1]));
  });

  it('each scheduled tick starts a trace of its own', async () => {
    const ticks = await eventually(
      () => {
        const runs = exporter
          .getFinishedSpans()
          .filter(
            (span) =>
              span.name === 'process default' && attr(span, 'task_queue.task.name') === 'tick',
          );
        return runs.length >= 2 ? runs : undefined;
      },
      20_000,
      'two ticks',
    );
    for (const tick of ticks) expect(parentOf(tick)).toBeUndefined();
    expect(new Set(ticks.map(traceOf)).size).toBe(ticks.length);
  });
});
