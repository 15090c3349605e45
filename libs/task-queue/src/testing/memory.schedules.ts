import {
  nextRun,
  ScheduleStore,
  type QueueSchedules,
  type RuntimeSchedule,
  type StoredSchedule,
} from '../scheduling/task-schedule.store.js';

/**
 * @internal The testing module's {@link ScheduleStore}: schedules kept in memory, by queue then
 * id, where nothing ticks (a tick runs through `TaskQueueTester.runSchedule()`). `clear()` of
 * the tester keeps them.
 */
export class MemorySchedules extends ScheduleStore {
  private readonly byQueue = new Map<string, Map<string, RuntimeSchedule>>();

  queue(name: string): QueueSchedules {
    let schedules = this.byQueue.get(name);
    if (!schedules) this.byQueue.set(name, (schedules = new Map<string, RuntimeSchedule>()));
    return new MemoryQueueSchedules(schedules);
  }

  /** Schedule `id`, on whichever queue it is. */
  find(id: string): { queue: string; schedule: RuntimeSchedule } | undefined {
    for (const [queue, schedules] of this.byQueue) {
      const schedule = schedules.get(id);
      if (schedule) return { queue, schedule };
    }
    return undefined;
  }
}

/** One queue's schedules in memory; one process, so its lock has no one to wait for. */
class MemoryQueueSchedules implements QueueSchedules {
  constructor(private readonly schedules: Map<string, RuntimeSchedule>) {}

  async list(): Promise<StoredSchedule[]> {
    const now = Date.now();
    return [...this.schedules.values()]
      .map((schedule) => ({ ...schedule, next: nextRun(schedule.when, now) }))
      .sort((a, b) => a.next.getTime() - b.next.getTime());
  }

  async has(id: string): Promise<boolean> {
    return this.schedules.has(id);
  }

  async upsert(schedule: RuntimeSchedule): Promise<void> {
    const { id, when, template } = schedule;
    this.schedules.set(id, { id, when, template });
  }

  async remove(id: string): Promise<boolean> {
    return this.schedules.delete(id);
  }

  async withLock<T>(work: () => Promise<T>, cancelled: () => boolean): Promise<T | undefined> {
    return cancelled() ? undefined : work();
  }
}
