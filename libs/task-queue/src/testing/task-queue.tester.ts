import { AssertionError } from 'node:assert';
import { Injectable } from '@nestjs/common';
import { TaskRegistry } from '../discovery/task.registry.js';
import { UnknownTaskError } from '../errors/index.js';
import type { TaskJobInfo } from '../interfaces/task-job.interface.js';
import type {
  Checked,
  ExpectedArgs,
  PayloadOf,
  TaskClass,
  TaskTarget,
} from '../interfaces/typed-task.interface.js';
import { MemoryJobStore } from './memory.job-store.js';
import { matchesSubset, show } from '../producer/payload-match.js';
import type {
  DeepPartial,
  DrainOptions,
  RecordedJob,
  RecordedJobFilter,
  RecordedStep,
} from './task-queue-testing.interfaces.js';
import { recordedSteps } from './memory.run-job.js';
import { testingMessages } from './task-queue-testing.messages.js';

/** What the assertions take after the target: `(payload?)`, a deep subset of the task's. */
type ExpectedPayload<Target, Args extends readonly unknown[]> = Checked<
  Args,
  ExpectedArgs<
    Target,
    Args[0],
    [payload?: object],
    [payload?: DeepPartial<PayloadOf<Target, Args[0]>>]
  >
>;

/** Jobs `drain()` runs at most before it decides that they will never stop coming. */
const DRAIN_LIMIT = 10_000;

/** Which jobs an assertion looks for. */
interface Expected {
  name: string;
  queue?: string;
  payload?: unknown;
  /** `'send_email'` or `'UsersTasks.sendWelcomeEmail'` with its payload, for messages. */
  description: string;
}

/**
 * What the testing module recorded, and the jobs it holds back: assert what was enqueued, then
 * run the jobs in the test. Works with any test runner (failures are `AssertionError`s).
 *
 * @example
 * ```ts
 * const tester = moduleRef.get(TaskQueueTester);
 * await moduleRef.get(UsersController).welcome(42);
 * tester.assertEnqueued(UsersTasks, 'sendWelcomeEmail', { userId: 42 });
 * const [job] = await tester.drain();
 * expect(job.status).toBe('complete');
 * ```
 */
@Injectable()
export class TaskQueueTester {
  /** @internal Made by Nest: inject it. */
  constructor(
    private readonly store: MemoryJobStore,
    private readonly registry: TaskRegistry,
  ) {}

  /** Every job enqueued since the last {@link clear}, run or not, oldest first. */
  enqueued(filter: RecordedJobFilter = {}): RecordedJob[] {
    return this.store.jobs
      .records()
      .filter(
        ({ name, queue }) =>
          (filter.name === undefined || name === filter.name) &&
          (filter.queue === undefined || queue === filter.queue),
      );
  }

  /**
   * Asserts that a job of the task was enqueued, with a payload that has at least the given
   * fields (a deep subset): `(name, payload?)`, or `(Class, 'method', payload?)` where the
   * payload is type-checked.
   *
   * @returns the first matching job.
   * @throws AssertionError listing every job enqueued since the last {@link clear}.
   */
  assertEnqueued<const Target extends TaskTarget, const Args extends readonly unknown[]>(
    target: Target,
    ...args: ExpectedPayload<Target, Args>
  ): RecordedJob;
  assertEnqueued(target: string | TaskClass<unknown>, ...args: unknown[]): RecordedJob {
    const expected = this.expected(target, args);
    const [match] = this.matching(expected);
    if (!match) this.fail(testingMessages.notEnqueued(expected.description, this.listing()));
    return match;
  }

  /**
   * Asserts that no job of the task was enqueued (with a payload having the given fields, if
   * given).
   * @throws AssertionError listing every job enqueued since the last {@link clear}.
   */
  assertNotEnqueued<const Target extends TaskTarget, const Args extends readonly unknown[]>(
    target: Target,
    ...args: ExpectedPayload<Target, Args>
  ): void;
  assertNotEnqueued(target: string | TaskClass<unknown>, ...args: unknown[]): void {
    const expected = this.expected(target, args);
    if (this.matching(expected).length > 0) {
      this.fail(testingMessages.enqueued(expected.description, this.listing()));
    }
  }

  /**
   * Runs every job waiting to run, and the jobs they enqueue, until none is left: queued ones
   * in order, then scheduled ones soonest first, without waiting for their delay. Each runs as
   * on a worker (timeouts, retries, per-job DI, success and failure hooks). Sleeps run at once,
   * on the testing kit's own clock, which moves on to their end. A job waiting for an event
   * (`ctx.waitForEvent`) is left waiting for `sendEvent`, unless its timeout has passed on
   * that clock; with `timeouts: true`, its wait times out now, and it resumes with `null`.
   *
   * @returns the jobs it ran, as they ended.
   * @example
   * ```ts
   * await tester.drain(); // the welcome is sent; the job waits for 'email.confirmed'
   * await tester.drain({ timeouts: true }); // no event came: the reminder is sent
   * ```
   */
  async drain(options: DrainOptions = {}): Promise<TaskJobInfo[]> {
    const ran: TaskJobInfo[] = [];
    const next = () => this.store.jobs.next(this.store.now(), options.timeouts);
    for (let job = next(); job; job = next()) {
      if (ran.length === DRAIN_LIMIT) throw new Error(testingMessages.drainRunaway(DRAIN_LIMIT));
      await this.store.run(job);
      ran.push(job.info());
    }
    return ran;
  }

  /**
   * Enqueues one tick of the `@ScheduledTask()` `name` (its `kwargs` as payload, as its
   * schedule would), or of the runtime schedule with id `name` (what `TaskQueue.schedule()`
   * returned; its payload), and runs it now.
   * @returns the job, as it ended.
   */
  runSchedule(name: string): Promise<TaskJobInfo> {
    const runtime = this.store.jobs.scheduleStore.find(name);
    if (runtime) return this.store.tickRuntime(runtime.queue, runtime.schedule);
    const scheduled = this.registry
      .getAllTasks()
      .filter((task) => task.cron !== undefined || task.every !== undefined);
    const definition = scheduled.find((task) => task.name === name);
    const task = definition && this.registry.tasksOn(definition.queue!).get(name);
    if (!task) {
      const names = scheduled.map((each) => each.name);
      throw new UnknownTaskError(testingMessages.notScheduled(name, names));
    }
    return this.store.tick(task);
  }

  /**
   * The durable steps (`ctx.step`) job `id` did so far, over all its executions, in the order
   * they were stored, with their results.
   *
   * @param queue the job's queue, where ids of several queues overlap; default: the first job
   *   with that id on any queue.
   * @throws Error when no job has that id.
   * @example
   * ```ts
   * const [job] = await tester.drain();
   * expect(tester.steps(job.id).map((step) => step.id)).toEqual(['charge', 'receipt']);
   * ```
   */
  steps(id: string, queue?: string): RecordedStep[] {
    const job = this.store.jobs.byId(id, queue);
    if (!job) throw new Error(testingMessages.noSuchJob(id, queue));
    return recordedSteps(job.journal);
  }

  /** Forgets every job; ones still waiting to run never will. */
  clear(): void {
    this.store.jobs.clear();
  }

  private expected(target: string | TaskClass<unknown>, args: unknown[]): Expected {
    if (typeof target === 'string') {
      return { name: target, payload: args[0], description: describeJob(`'${target}'`, args[0]) };
    }
    const [method, payload] = args as [string, unknown];
    const where = `${target.name}.${method}`;
    const task = this.registry.byMethod(target, method);
    if (!task) throw new UnknownTaskError(testingMessages.notATask(where));
    const { name, queue } = task.definition;
    return { name, queue, payload, description: describeJob(`${where} ('${name}')`, payload) };
  }

  private matching({ name, queue, payload }: Expected): RecordedJob[] {
    return this.enqueued({ name, queue }).filter(
      (job) => payload === undefined || matchesSubset(job.payload, payload),
    );
  }

  private listing(): string {
    const jobs = this.enqueued();
    if (jobs.length === 0) return ' none.';
    const lines = jobs.map(
      ({ id, name, queue, payload, options }) =>
        `\n  - '${name}' on '${queue}' (job ${id}): payload ${show(payload)}` +
        (Object.keys(options).length > 0 ? `, options ${show(options)}` : ''),
    );
    return lines.join('');
  }

  private fail(message: string): never {
    throw new AssertionError({ message });
  }
}

const describeJob = (task: string, payload: unknown) =>
  `a job of ${task}` + (payload === undefined ? '' : ` with a payload matching ${show(payload)}`);
