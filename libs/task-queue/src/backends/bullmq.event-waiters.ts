import { Job } from 'bullmq';
import { EventWaiters, waiterField, type EventWaiter } from '../producer/event-waiters.js';
import { openWaits } from '../durable/job-steps.js';
import { journalLine, readSteps } from './bullmq.job-steps.js';
import type { QueueBackend } from './queue-backend.js';

/**
 * @internal The waiters of events on a BullMQ backend: indexed by event name in the backend
 * (a Redis hash, a PostgreSQL table); a woken job gets the event in its journal (its log) and
 * is promoted from the delayed set, to run now.
 */
export class BullEventWaiters extends EventWaiters {
  constructor(private readonly backend: QueueBackend) {
    super();
  }

  add(name: string, waiter: EventWaiter): Promise<void> {
    return this.backend.addWaiter(name, waiterField(waiter), JSON.stringify(waiter));
  }

  take(name: string, waiter: EventWaiter): Promise<boolean> {
    return this.backend.takeWaiter(name, waiterField(waiter));
  }

  async list(name: string): Promise<EventWaiter[]> {
    const bodies = await this.backend.listWaiters(name);
    return bodies.map((body) => JSON.parse(body) as EventWaiter);
  }

  /** Takes the waiters that job `jobId` of `queue` left for its open waits (see `drop`). */
  async dropOf(queue: string, jobId: string): Promise<void> {
    const waits = openWaits(await readSteps(this.backend.queue(queue), jobId));
    if (waits.length > 0) await this.drop(queue, jobId, waits);
  }

  async deliver({ queue, jobId, key }: EventWaiter, json: string): Promise<boolean> {
    const bull = this.backend.queue(queue);
    const job = await Job.fromId(bull, jobId);
    if (!job || job.finishedOn) return false;
    await job.log(journalLine({ key: `${key}:done`, at: Date.now() }, json));
    // A job still active (suspending) when the event came cannot be promoted: its worker wakes
    // it once it is delayed. Any other failure, a job delayed that would not move, is raised.
    await job.promote().catch(async (error: unknown) => {
      if ((await job.getState()) === 'delayed') throw error;
    });
    return true;
  }
}
