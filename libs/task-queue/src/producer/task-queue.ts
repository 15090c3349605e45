import { applyWaitOf } from './enqueue-options.js';
import type { QueueJobStore } from './job-store.js';
import { failedOn } from './job-outcome.js';
import type {
  ApplyOptions,
  EnqueuedJob,
  EnqueueItem,
  EnqueueManyOptions,
  EnqueueOptions,
  TaskJobInfo,
  TaskQueueStats,
} from '../interfaces/task-job.interface.js';
import type {
  EnqueueFlowOptions,
  MapOptions,
  TaskFlow,
} from '../interfaces/task-flow.interface.js';
import type { ScheduleOptions, TaskSchedule } from '../interfaces/task-schedule.interface.js';
import { checkRuntimeSchedule, checkRuntimeScheduleId } from './runtime-schedule.js';
import { prepareJob, type PreparedJob, type TaskLookup } from './prepared-job.js';
import { carry, carryFlow, type EnqueueMethod, type JobContextSource } from './job-context.js';
import { prepareFlow, type FlowLookup } from './task-flow.js';
import { mapTask } from './task-map.js';
import { resolveTask, type TaskByMethod } from './task-target.js';
import { checkTransaction, refuseTransaction, takeTransaction } from './transaction-option.js';
import { DEFAULT_APPLY_TIMEOUT } from '../task-queue.constants.js';
import type {
  PayloadArgs,
  PayloadsArgs,
  ResultOf,
  TaskClass,
  TaskTarget,
} from '../interfaces/typed-task.interface.js';

/** @internal What a {@link TaskQueue} needs from the application that owns it. */
export interface TaskQueueParts extends TaskLookup {
  /** Where this queue's jobs live: BullMQ on the backend, or memory in tests. */
  readonly store: QueueJobStore;
  /** The application's tasks by provider method, and those of any queue (for flows). */
  readonly catalogue: TaskByMethod & FlowLookup;
  /** What jobs carry from their enqueuer's context (nestjs-cls), where the application has it. */
  readonly context?: JobContextSource;
}

/**
 * One named queue: enqueue tasks on it and read their jobs back. Get it from
 * {@link TaskQueues.get} or, inside a task, from `ctx.queue`.
 */
export class TaskQueue {
  private readonly store: QueueJobStore;

  /** @internal */
  constructor(
    /** The queue's name. */
    readonly name: string,
    private readonly parts: TaskQueueParts,
  ) {
    this.store = parts.store;
  }

  /**
   * Puts a job on this queue, by task name or, type-checked, by provider class and method.
   * Called `(name, payload?, options?)` or `(Class, 'method', payload, options?)`; the payload
   * is plain data, passed to the task as its second parameter (by class, it may be left out
   * when the method's payload type allows `undefined`).
   *
   * With `options.transaction` (an open transaction, see `TaskTransaction`), the job is
   * written through it: it exists once that transaction commits, and not at all if it rolls
   * back. PostgreSQL and PGlite write it in the queues' own tables; Redis needs an `outbox`.
   *
   * @returns the job's id (a string), name and queue.
   * @throws UnknownTaskError when this application has no such task on this queue.
   * @throws InvalidPayloadError naming the offending path (`payload.user.onDone`).
   * @throws InvalidOptionsError for a bad option, or a `transaction` that is not open, not on
   *   the queues' database, or on Redis without an outbox: nothing is written.
   * @throws BackendUnavailableError (RedisUnavailableError on Redis) when the backend does not
   *   answer within 1.5 s.
   * @example
   * ```ts
   * const { id } = await taskQueues.get('default').enqueue('send_email', { to, subject });
   * await taskQueues.get('default').enqueue(UsersTasks, 'sendWelcomeEmail', { userId: 42 });
   * ```
   */
  enqueue<const Target extends TaskTarget, const Args extends readonly unknown[]>(
    target: Target,
    ...args: PayloadArgs<Target, Args, EnqueueOptions>
  ): Promise<EnqueuedJob>;
  async enqueue(target: string | TaskClass<unknown>, ...args: unknown[]): Promise<EnqueuedJob> {
    const [name, payload, options] = resolveTask(this.parts.catalogue, this.name, target, args);
    const job = await this.add(name, payload as object | undefined, options as EnqueueOptions);
    return { id: job.id!, name, queue: this.name };
  }

  /**
   * Puts many jobs on this queue in one round trip (BullMQ `addBulk`). Every item is
   * checked as {@link enqueue} checks it before anything is sent, so an invalid item enqueues
   * none of them.
   *
   * @param items task name, payload (plain data, default `{}`) and options of each job.
   * @param options.transaction an open transaction to write all the jobs through, as
   *   `enqueue`'s: they all exist once it commits, none if it rolls back.
   * @returns each job's id, name and queue, in the order of `items`.
   * @throws UnknownTaskError, InvalidPayloadError, InvalidOptionsError or
   *   BackendUnavailableError, as `enqueue` does.
   * @example
   * ```ts
   * const jobs = await taskQueues.get('default').enqueueMany(
   *   users.map((user) => ({ name: 'send_email', payload: { to: user.email } })),
   * );
   * ```
   */
  async enqueueMany(
    items: readonly EnqueueItem[],
    options?: EnqueueManyOptions,
  ): Promise<EnqueuedJob[]> {
    const carried = items.length ? this.parts.context?.capture(items[0].name) : undefined;
    const jobs: PreparedJob[] = [];
    for (const { name, payload, options: jobOptions } of items) {
      refuseTransaction(name, 'enqueueMany', jobOptions);
      const job = await prepareJob(this.parts, this.name, name, payload, jobOptions);
      jobs.push(carry(job, carried));
    }
    const first = items[0]?.name ?? 'enqueueMany';
    const transaction = checkTransaction(
      first,
      options?.transaction ?? this.joined(first, 'enqueueMany'),
    );
    if (jobs.length === 0) return [];
    const added = await this.store.addBulk(jobs, transaction);
    return added.map((job, index) => ({ id: job.id!, name: jobs[index].name, queue: this.name }));
  }

  /**
   * Enqueues, then waits for the final outcome across all retries. Called as `enqueue` is:
   * `(name, payload?, options?)` or `(Class, 'method', payload, options?)`.
   *
   * `options.timeout`: seconds to wait (default 60); the job's own timeout is not changed.
   *
   * @typeParam R what the task returns, by name (`apply<Report>('report')`); by class and
   *   method, it is the method's return type.
   * @returns what the task returned (`null` for `undefined`).
   * @throws TaskFailedError carrying the task's error message and the `jobId`.
   * @throws TaskWaitTimeoutError when the wait runs out; the job stays where it is.
   */
  apply<
    R = unknown,
    const Target extends TaskTarget = string,
    const Args extends readonly unknown[] = [payload?: object, options?: ApplyOptions],
  >(
    target: Target,
    ...args: PayloadArgs<Target, Args, ApplyOptions>
  ): Promise<Target extends string ? R : ResultOf<Target, Args[0]>>;
  async apply(target: string | TaskClass<unknown>, ...args: unknown[]): Promise<unknown> {
    const [name, payload, options = {}] = resolveTask(
      this.parts.catalogue,
      this.name,
      target,
      args,
    );
    refuseTransaction(name, 'apply', options);
    this.joined(name, 'apply');
    const { timeout = DEFAULT_APPLY_TIMEOUT, ...enqueueOptions } = options as ApplyOptions;
    applyWaitOf(name, timeout);
    const carried = this.parts.context?.capture(name);
    const job = await prepareJob(this.parts, this.name, name, payload as object, enqueueOptions);
    return this.store.apply(carry(job, carried), timeout).catch(failedOn(this.name));
  }

  /**
   * Enqueues one job per payload in one round trip, then waits for them all: SAQ's `map`.
   * Every payload is checked before anything is sent. The wait listens once for the whole
   * batch, so thousands of jobs cost no more listeners than one. Called
   * `(name, payloads, options?)` or `(Class, 'method', payloads, options?)`.
   *
   * `options.timeout`: seconds to wait for all the outcomes (default 60).
   * `options.returnExceptions`: put each failure (`TaskFailedError`, or `TaskWaitTimeoutError`
   * for a job still unfinished at the timeout) in its place instead of rejecting.
   *
   * @typeParam R what the task returns, by name; by class and method, the method's return type.
   * @returns the results in the order of `payloads` (`null` for `undefined`).
   * @throws TaskFailedError for the first job to fail (without `returnExceptions`); the other
   *   jobs go on. TaskWaitTimeoutError when the wait runs out. UnknownTaskError,
   *   InvalidPayloadError or BackendUnavailableError as `enqueue` does, before any job is sent.
   * @example
   * ```ts
   * const sizes = await taskQueues.get('default').map('resize_image', images.map((id) => ({ id })));
   * ```
   */
  map<
    R = unknown,
    const Target extends TaskTarget = string,
    const Args extends readonly unknown[] = [payloads: readonly object[], options?: MapOptions],
  >(
    target: Target,
    ...args: PayloadsArgs<Target, Args, MapOptions>
  ): Promise<(Target extends string ? R : ResultOf<Target, Args[0]>)[]>;
  map(target: string | TaskClass<unknown>, ...args: unknown[]): Promise<unknown[]> {
    const [name, payloads, options] = resolveTask(this.parts.catalogue, this.name, target, args);
    this.joined(name, 'map');
    return mapTask(
      this.parts,
      this.store,
      this.name,
      name,
      payloads as object[],
      options as MapOptions,
      this.parts.context?.capture(name),
    );
  }

  /**
   * Enqueues a tree of jobs at once (BullMQ's flows): each parent runs after all its children
   * have completed and reads their results with `ctx.childResults()`, in the order given.
   * Children may be on any configured queue. A child that fails for good (no retries left)
   * fails its parent, which never runs, with the child's error in its own; `abort()` of a
   * parent aborts its unfinished children. Every job is checked as `enqueue` checks it before
   * anything is sent: nothing of an invalid flow is enqueued.
   *
   * With `options.transaction`, the whole tree is written through that open transaction, as
   * `enqueue` writes one job: all of it exists once it commits, none of it if it rolls back.
   *
   * @returns the root job's id, name and queue; while it waits for its children, `getJob`
   *   reads it `queued`.
   * @throws UnknownTaskError, UnknownQueueError, InvalidPayloadError or InvalidOptionsError
   *   naming the job's place in the tree (`children[1].children[0]`); BackendUnavailableError.
   * @example
   * ```ts
   * await taskQueues.get('reports').enqueueFlow({
   *   name: 'nightly_report',
   *   children: customers.map((id) => ({ name: 'customer_report', payload: { id } })),
   * });
   * ```
   */
  async enqueueFlow(flow: TaskFlow, options?: EnqueueFlowOptions): Promise<EnqueuedJob> {
    const carried = this.parts.context?.capture(String(flow?.name));
    const root = await prepareFlow(this.parts.catalogue, this.name, flow);
    const transaction = checkTransaction(
      root.job.name,
      options?.transaction ?? this.joined(root.job.name, 'enqueueFlow'),
    );
    await this.store.addFlow(carryFlow(root, carried), transaction);
    return { id: root.id, name: root.job.name, queue: root.queue };
  }

  /** Reads a job back; `undefined` for an id this queue never had or no longer keeps. */
  getJob(id: string): Promise<TaskJobInfo | undefined> {
    return this.store.getJob(id);
  }

  /**
   * Counts this queue's jobs by status, and the workers connected to it in any process.
   *
   * @throws BackendUnavailableError (RedisUnavailableError on Redis) when the backend does not
   *   answer within 1.5 s.
   * @example
   * ```ts
   * const { counts, workers } = await taskQueues.get('default').stats();
   * console.log(`${counts.queued} queued, ${counts.active} active, ${workers} workers`);
   * ```
   */
  stats(): Promise<TaskQueueStats> {
    return this.store.stats();
  }

  /**
   * Ends a job that has not finished. A queued or scheduled one never runs; an active one, in
   * whichever process runs it, has its `ctx.signal` aborted. Either ends `aborted`, without
   * retries. A finished job is left as it is.
   *
   * @returns `true` if the job was found unfinished and is being aborted.
   */
  abort(id: string): Promise<boolean> {
    return this.store.abort(id);
  }

  /**
   * The schedules of this queue, as stored in the backend: what will run, soonest first. Those
   * of `@ScheduledTask()` methods (`source: 'decorator'`) are written at bootstrap by the
   * processes that run workers for this queue, so they are missing until one of them has
   * booted, and during a rolling deploy they show whichever code booted last. Those made by
   * {@link schedule} (`source: 'runtime'`) are there from the call on.
   *
   * @returns one entry per schedule; `next` is a `Date`, the instant the next run is due.
   * @throws BackendUnavailableError (RedisUnavailableError on Redis) when the backend does not
   *   answer within 1.5 s.
   * @example
   * ```ts
   * for (const { name, cron, every, next } of await taskQueues.get('default').schedules()) {
   *   console.log(`${name} (${cron ?? `every ${every} s`}) next runs at ${next.toISOString()}`);
   * }
   * ```
   */
  schedules(): Promise<TaskSchedule[]> {
    return this.store.schedules();
  }

  /**
   * Runs task `name` on a schedule made at runtime: a cron (5 fields, or 6 with seconds first,
   * read in `timeZone`, default `'UTC'`) or every so many seconds, once per tick across all
   * processes, with `payload` as each run's payload. The schedule lives in the backend: it is
   * kept across restarts and left alone by the boot-time reconcile of `@ScheduledTask()`
   * methods, until {@link unschedule} removes it. Scheduling the same `id` again replaces it.
   *
   * @returns the schedule's id (`task-queue-runtime:<id>`), never a decorator schedule's.
   * @throws UnknownTaskError when this application has no such task on this queue.
   * @throws InvalidPayloadError as `enqueue` does; InvalidOptionsError for a bad cron, interval,
   *   time zone, id or option.
   * @throws BackendUnavailableError (RedisUnavailableError on Redis) when the backend does not
   *   answer within 1.5 s.
   * @example
   * ```ts
   * const id = await taskQueues.get('default').schedule('send_report', {
   *   cron: '0 8 * * 1', timeZone: 'Europe/Paris', payload: { team: 'sales' }, id: 'sales-report',
   * });
   * await taskQueues.get('default').unschedule(id);
   * ```
   */
  async schedule(name: string, options: ScheduleOptions): Promise<string> {
    const schedule = await checkRuntimeSchedule(this.parts, this.name, name, options);
    await this.store.schedule(schedule);
    return schedule.id;
  }

  /**
   * Removes a schedule made by {@link schedule}; a run already started goes on.
   *
   * @param id what `schedule()` returned (or `schedules()` lists as the `id`).
   * @returns `true` if the schedule existed.
   * @throws InvalidOptionsError for the id of a `@ScheduledTask()` schedule, or an id that is
   *   not a runtime schedule's.
   */
  async unschedule(id: string): Promise<boolean> {
    checkRuntimeScheduleId(id);
    return this.store.unschedule(id);
  }

  /**
   * The transaction of the `@Transactional()` method this call runs in, which it joins when
   * none is given (`cls.transactions`); `apply` and `map` inside one throw.
   */
  private joined(name: string, method: EnqueueMethod) {
    return this.parts.context?.transaction(name, method);
  }

  /**
   * Checks and sends one job. Bad input throws before anything is sent, synchronously: its
   * callers are async functions, which turn the throw into their rejection.
   */
  private add(name: string, payload: object = {}, options?: EnqueueOptions) {
    const carried = this.parts.context?.capture(name);
    const [given, jobOptions] = takeTransaction(name, options);
    const transaction = given ?? checkTransaction(name, this.joined(name, 'enqueue'));
    const prepared = prepareJob(this.parts, this.name, name, payload, jobOptions);
    return prepared instanceof Promise
      ? prepared.then((job) => this.store.add(carry(job, carried), transaction))
      : this.store.add(carry(prepared, carried), transaction);
  }
}
