import type { BoundTask } from '../discovery/task.registry.js';
import { toDefinition } from '../discovery/task-catalogue.js';
import type { TaskJobRef } from '../interfaces/task-context.interface.js';
import type { TaskMetadata } from '../interfaces/task-options.interface.js';
import { TaskQueue } from '../producer/task-queue.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_QUEUE,
  TASK_METADATA,
} from '../task-queue.constants.js';
import { rateLimitedError } from '../worker/task-run.js';
import { stepKey, type StepRecord } from '../durable/job-steps.js';
import {
  checkSleep,
  checkWait,
  StepJournal,
  type WaitForEventOptions,
} from '../durable/step-journal.js';
import { memorySteps, recordedSteps } from './memory.run-job.js';
import { MemoryJobs } from './memory.jobs.js';
import type {
  RecordedJob,
  TaskContextOverrides,
  TestTaskContext,
} from './task-queue-testing.interfaces.js';

/** Any task name is taken: a unit test has no application to know its tasks from. */
const UNCHECKED_TASK = { jobOptions: {} };

/**
 * A `TaskContext` for calling a task method directly in a unit test, without Nest or a
 * backend. Its queue checks payloads and options as `enqueue` does and records each job in
 * `ctx.enqueued`; it runs none of them. `ctx.rateLimit(seconds)` rejects as in a worker and
 * records the pause asked for in `ctx.rateLimited`. `ctx.step(id, fn)` runs `fn` and records
 * the step in `ctx.steps` (a step given as done in `steps` returns its result without running);
 * `ctx.sleep(seconds)` resolves at once and records the seconds in `ctx.slept`;
 * `ctx.waitForEvent(name)` resolves at once with the data given for `name` in `events`, else `null`.
 *
 * @example
 * ```ts
 * const ctx = createTaskContext({ payload: { userId: 5 } });
 * await new UsersTasks().enqueueFollowUp(ctx, { userId: 5 });
 * expect(ctx.enqueued.map((job) => job.name)).toEqual(['send_email']);
 *
 * const retry = createTaskContext({ attempt: 2, steps: { charge: { chargeId: 'ch_1' } } });
 * await new PaymentsTasks(payments).capture(retry, { orderId: 7 });
 * expect(retry.steps.map((step) => step.id)).toEqual(['receipt']); // 'charge' not run again
 * ```
 */
export function createTaskContext(overrides: TaskContextOverrides = {}): TestTaskContext {
  const queueName = overrides.queue ?? DEFAULT_QUEUE;
  const jobs = new MemoryJobs('manual');
  const maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
  const childResults = overrides.childResults ?? [];
  const queue = new TaskQueue(queueName, {
    store: jobs.queue(queueName),
    tasks: { get: () => UNCHECKED_TASK, keys: () => [] },
    maxPayloadBytes,
    catalogue: {
      // The typed enqueue names the task its decorator declares.
      byMethod: (type, methodName) => declaredTask(type, methodName, queueName),
      lookupOf: () => ({ tasks: { get: () => UNCHECKED_TASK, keys: () => [] }, maxPayloadBytes }),
    },
  });
  const job: TaskJobRef = {
    id: '1',
    name: overrides.name ?? 'task',
    queue: queueName,
    attempt: overrides.attempt ?? 1,
    payload: overrides.payload ?? {},
  };
  let rateLimited: number | undefined;
  const label = `Task '${job.name}' (job ${job.id})`;
  // Steps given as done are stored before the test; `ctx.steps` lists those run after.
  const given = Object.entries(overrides.steps ?? {}).map(([id, value]): StepRecord => ({
    key: stepKey(id),
    at: 0,
    value,
    bytes: 0,
  }));
  const records: StepRecord[] = [...given];
  const slept: number[] = [];
  const journal = new StepJournal(label, memorySteps(records), {
    maxBytes: maxPayloadBytes,
  });
  return {
    job,
    queue,
    signal: overrides.signal ?? new AbortController().signal,
    progress: () => Promise.resolve(),
    childResults: <R>() => Promise.resolve([...childResults] as R[]),
    // As in a worker, minus the pause: the run ends with the error the task sees there.
    rateLimit: async (seconds: number): Promise<never> => {
      const error = rateLimitedError(label, seconds);
      rateLimited = seconds;
      throw error;
    },
    get rateLimited() {
      return rateLimited;
    },
    step: (id, fn) => journal.step(id, fn),
    // No worker to leave: the sleep is recorded and over at once.
    sleep: async (seconds: number) => {
      checkSleep(label, seconds);
      slept.push(seconds);
    },
    get slept() {
      return [...slept];
    },
    // No event to wait for: the one given in `events`, else the timeout's null, at once.
    waitForEvent: async <E>(name: string, options: WaitForEventOptions) => {
      checkWait(label, name, options);
      return (overrides.events?.[name] ?? null) as E | null;
    },
    get steps() {
      return recordedSteps(records.slice(given.length));
    },
    get enqueued(): RecordedJob[] {
      return jobs.records();
    },
  };
}

function declaredTask(
  type: object,
  methodName: string,
  defaultQueue: string,
): Pick<BoundTask, 'definition'> | undefined {
  const method = (type as { prototype?: Record<string, unknown> }).prototype?.[methodName];
  const meta =
    typeof method === 'function'
      ? (Reflect.getMetadata(TASK_METADATA, method) as TaskMetadata | undefined)
      : undefined;
  if (!meta) return undefined;
  const queue = meta.queue ?? defaultQueue;
  const className = (type as { name: string }).name;
  const definition = toDefinition(meta.name ?? methodName, queue, className, methodName, meta);
  return { definition: { ...definition, queue } };
}
