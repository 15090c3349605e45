import { isDeepStrictEqual } from 'node:util';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { BackendHealth, storeName } from '../observability/backend-health.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import {
  ENQUEUE_CONNECT_TIMEOUT_MS,
  SCHEDULE_START_MARGIN_MS,
  SCHEDULER_ID_PREFIX,
  TASK_QUEUE_CONFIG,
} from '../task-queue.constants.js';
import { schedulingMessages } from './scheduling.messages.js';
import { ScheduledTasks, type ScheduledTask } from './scheduled-tasks.js';
import {
  describeWhen,
  schedulerIdOf,
  ScheduleStore,
  sourceOf,
  withOverlap,
  type QueueSchedules,
  type ScheduleTemplate,
  type StoredSchedule,
  type When,
} from './task-schedule.store.js';

/**
 * @internal Makes the schedules of each queue this process works on match the
 * `@ScheduledTask()` methods of this code, once, at bootstrap: missing ones are created,
 * changed ones (cron, time zone, kwargs, job options, overlap) replaced, and those whose task is
 * gone removed. Only schedulers with the decorator id prefix are touched: runtime schedules
 * (`TaskQueue.schedule()`) and other code's schedulers are left alone.
 *
 * A process reconciles only the queues it runs workers for: an enqueue-only process may
 * import fewer task modules and must not remove the schedules of tasks it does not know.
 * Replicas booting together take turns under a per-queue lock of the backend; whoever comes second
 * finds everything current and changes nothing.
 */
@Injectable()
export class TaskScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TaskScheduler');
  private stopWaiting?: () => void;
  private stopping = false;
  private markSettled!: () => void;
  private readonly settled = new Promise<void>((resolve) => (this.markSettled = resolve));

  constructor(
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
    private readonly tasks: ScheduledTasks,
    private readonly store: ScheduleStore,
    private readonly backend: BackendHealth,
  ) {}

  /**
   * Resolves once this process has reconciled its schedules at bootstrap (or found the backend
   * unreachable and put it off). Workers take jobs only after it, so a replica of new code
   * never runs a job of a schedule its own code has changed.
   */
  whenSettled(): Promise<void> {
    return this.settled;
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.reconcileAtBoot();
    } finally {
      this.markSettled();
    }
  }

  /**
   * Makes the schedules of every queue this process works on match this code (under each
   * queue's lock); a failure is logged, not thrown.
   */
  async reconcileAll(): Promise<void> {
    await Promise.all(this.config.workerQueues.map((name) => this.reconcileQueue(name)));
  }

  private async reconcileAtBoot(): Promise<void> {
    const names = this.config.workerQueues;
    if (names.length === 0) return;
    // Boot with the schedules in place when the backend answers; an unreachable one must not
    // keep the application from booting (its workers wait for it as well).
    if (await this.backend.whenReady(ENQUEUE_CONNECT_TIMEOUT_MS)) {
      await this.reconcileAll();
      return;
    }
    this.logger.warn(schedulingMessages.schedulesDeferred(storeName(this.backend.kind), names));
    this.stopWaiting = this.backend.onceReachable(() => void this.reconcileAll());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.markSettled();
    this.stopWaiting?.();
  }

  private async reconcileQueue(name: string): Promise<void> {
    const schedules = this.store.queue(name);
    try {
      await schedules.withLock(
        () => this.reconcile(name, schedules, this.tasks.tasksOn(name)),
        () => this.stopping,
      );
    } catch (error) {
      if (!this.stopping) {
        const store = storeName(this.backend.kind);
        this.logger.error(
          schedulingMessages.schedulesFailed(store, name, (error as Error).message),
        );
      }
    }
  }

  private async reconcile(
    queue: string,
    schedules: QueueSchedules,
    tasks: ReadonlyMap<string, ScheduledTask>,
  ): Promise<void> {
    const leftover = await decoratorSchedules(schedules);
    for (const task of tasks.values()) {
      const { name } = task.definition;
      const when = whenOf(task.definition);
      if (!when) continue;
      const stored = leftover.get(name);
      leftover.delete(name);
      // Compared with what the backend gives back, so kwargs are taken in their JSON form (a Date
      // becomes its ISO string), as every job's data is.
      const data = JSON.parse(JSON.stringify(task.kwargs ?? {})) as object;
      const template = { name, data, opts: withOverlap(task.jobOptions, task.definition.overlap) };
      // Upserting an unchanged schedule would replace its pending job: leave it alone.
      if (stored && isCurrent(stored, when, template)) continue;
      // A first tick too close to now may be one that an old replica is starting right now.
      const startDate = Date.now() + SCHEDULE_START_MARGIN_MS;
      await schedules.upsert({ id: schedulerIdOf(name), when, template }, startDate);
      this.logger.log(`Schedule of '${name}' on '${queue}' set to ${describeWhen(when)}.`);
    }
    for (const name of leftover.keys()) {
      await schedules.remove(schedulerIdOf(name));
      this.logger.log(`Schedule of '${name}' on '${queue}' removed: no such task any more.`);
    }
  }
}

/**
 * The schedules this library created on a queue for `@ScheduledTask()` methods, by task name,
 * soonest first. Those without the decorator id prefix (other code's, runtime schedules) are
 * left out.
 */
async function decoratorSchedules(schedules: QueueSchedules): Promise<Map<string, StoredSchedule>> {
  const ours = new Map<string, StoredSchedule>();
  for (const stored of await schedules.list()) {
    if (sourceOf(stored.id) === 'decorator')
      ours.set(stored.id.slice(SCHEDULER_ID_PREFIX.length), stored);
  }
  return ours;
}

function whenOf({ cron, timeZone, every }: ScheduledTask['definition']): When | undefined {
  if (every !== undefined) return { every: Math.round(every * 1000) };
  return cron === undefined ? undefined : { pattern: cron, tz: timeZone! };
}

/** Whether a stored schedule already runs `template` at these times. */
function isCurrent(stored: StoredSchedule, when: When, template: ScheduleTemplate): boolean {
  const sameTimes =
    'every' in when
      ? 'every' in stored.when && stored.when.every === when.every
      : 'pattern' in stored.when &&
        stored.when.pattern === when.pattern &&
        stored.when.tz === when.tz;
  return (
    sameTimes &&
    stored.template.name === template.name &&
    isDeepStrictEqual(stored.template.data, template.data) &&
    isDeepStrictEqual(stored.template.opts, template.opts)
  );
}
