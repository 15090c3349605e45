import { EventWaiters, waiterField, type EventWaiter } from '../producer/event-waiters.js';
import type { MemoryJobs } from './memory.jobs.js';

/**
 * @internal The waiters of events under the testing module: an index by event name in memory.
 * A woken job gets the event in its journal and is due at once: the next `drain()` runs it.
 */
export class MemoryEventWaiters extends EventWaiters {
  private readonly byName = new Map<string, Map<string, EventWaiter>>();

  constructor(private readonly jobs: MemoryJobs) {
    super();
  }

  add(name: string, waiter: EventWaiter): Promise<void> {
    let waiters = this.byName.get(name);
    if (!waiters) this.byName.set(name, (waiters = new Map<string, EventWaiter>()));
    waiters.set(waiterField(waiter), waiter);
    return Promise.resolve();
  }

  take(name: string, waiter: EventWaiter): Promise<boolean> {
    return Promise.resolve(this.byName.get(name)?.delete(waiterField(waiter)) ?? false);
  }

  list(name: string): Promise<EventWaiter[]> {
    return Promise.resolve([...(this.byName.get(name)?.values() ?? [])]);
  }

  deliver({ queue, jobId, key }: EventWaiter, json: string): Promise<boolean> {
    const job = this.jobs.find(queue, jobId);
    if (!job?.unfinished) return Promise.resolve(false);
    const value: unknown = JSON.parse(json);
    job.journal.push({ key: `${key}:done`, at: Date.now(), value, bytes: json.length });
    job.waitsForEvent = false;
    job.dueAt = Date.now();
    return Promise.resolve(true);
  }
}
