import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { BackendHealth, storeName } from '../observability/backend-health.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { TASK_QUEUE_CONFIG } from '../task-queue.constants.js';
import { schedulingMessages } from './scheduling.messages.js';
import { ScheduleStore, sourceOf, type StoredSchedule } from './task-schedule.store.js';
import { TaskScheduler } from './task-scheduler.service.js';

/** How often the backend is asked whether it still holds its data, in ms. */
const CHECK_MS = 15_000;

/**
 * @internal Brings back the schedules of the queues this process works on when the backend has
 * lost them (a Redis restarted empty, or flushed), without a restart. The backend keeps a
 * marker beside the queues; it is looked for when the backend answers again after an outage,
 * and every few seconds besides (a Redis restarted in a blink, or flushed, causes no outage).
 * A missing marker means the data is gone: the `@ScheduledTask()` schedules are reconciled
 * (under each queue's lock, as at bootstrap) and the runtime schedules (`TaskQueue.schedule()`)
 * last seen on those queues are put back. While the marker is there, nothing is changed, so a
 * schedule removed on purpose stays removed.
 */
@Injectable()
export class ScheduleRecovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TaskScheduler');
  /** The runtime schedules last seen, per queue. */
  private readonly runtime = new Map<string, StoredSchedule[]>();
  private timer?: NodeJS.Timeout;
  private stopListening?: () => void;
  private checking?: Promise<void>;
  private stopping = false;
  /** Whether this process has found or set the marker: it was there to be lost. */
  private marked = false;

  constructor(
    @Inject(TASK_QUEUE_CONFIG) private readonly config: TaskQueueConfig,
    private readonly scheduler: TaskScheduler,
    private readonly store: ScheduleStore,
    private readonly backend: BackendHealth,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workerQueues.length === 0) return;
    void this.scheduler.whenSettled().then(() => {
      if (this.stopping) return;
      this.stopListening = this.backend.outage.onBack(() => void this.check());
      this.timer = setInterval(() => void this.check(), CHECK_MS);
      // A timer of its own must not keep the process alive.
      this.timer.unref();
      return this.check();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.stopListening?.();
    await this.checking;
  }

  /** One look at the marker at a time; a look asked for meanwhile is that one. */
  private check(): Promise<void> {
    if (this.stopping || !this.backend.isReady()) return Promise.resolve();
    return (this.checking ??= this.recoverIfLost().finally(() => (this.checking = undefined)));
  }

  private async recoverIfLost(): Promise<void> {
    try {
      if (!(await this.backend.stillKept())) {
        // The first look of a process on a fresh namespace finds no marker either: nothing
        // was lost since this process reconciled its schedules at bootstrap.
        if (this.marked) {
          this.logger.warn(schedulingMessages.schedulesLost(storeName(this.backend.kind)));
          await this.scheduler.reconcileAll();
          await this.restoreRuntimeSchedules();
        }
        await this.backend.markKept();
      }
      this.marked = true;
      await this.readRuntimeSchedules();
    } catch (error) {
      // An outage is reported once, by the backend; the check runs again when it ends.
      if (!this.stopping && !this.backend.outage.ongoing) {
        this.logger.error(schedulingMessages.schedulesNotChecked((error as Error).message));
      }
    }
  }

  private async readRuntimeSchedules(): Promise<void> {
    for (const name of this.config.workerQueues) {
      const schedules = await this.store.queue(name).list();
      this.runtime.set(
        name,
        schedules.filter(({ id }) => sourceOf(id) === 'runtime'),
      );
    }
  }

  private async restoreRuntimeSchedules(): Promise<void> {
    for (const [name, schedules] of this.runtime) {
      const store = this.store.queue(name);
      for (const schedule of schedules) {
        // Another process may have put it back already.
        if (await store.has(schedule.id)) continue;
        await store.upsert(schedule);
      }
    }
  }
}
