import type { TaskJobInfo, TaskQueueStats } from '../../interfaces/task-job.interface.js';
import type { TaskSchedule } from '../../interfaces/task-schedule.interface.js';
import type { TaskTransaction } from '../../interfaces/task-transaction.interface.js';
import type { QueueJobStore, StoredJob } from '../../producer/job-store.js';
import type { PreparedJob } from '../../producer/prepared-job.js';
import type { PreparedFlow } from '../../producer/task-flow.js';
import type { RuntimeSchedule } from '../../scheduling/task-schedule.store.js';
import type { OutboxWriter } from './outbox.writer.js';

/**
 * @internal One queue's jobs on Redis with an outbox: an add given a transaction goes into the
 * outbox through it; everything else is the Redis store's.
 */
export class OutboxQueueJobs implements QueueJobStore {
  constructor(
    private readonly name: string,
    private readonly redis: QueueJobStore,
    private readonly outbox: OutboxWriter,
  ) {}

  add(job: PreparedJob, transaction?: TaskTransaction): Promise<StoredJob> {
    if (transaction) return this.outbox.add(this.name, job, transaction);
    return this.redis.add(job);
  }

  addBulk(jobs: PreparedJob[], transaction?: TaskTransaction): Promise<StoredJob[]> {
    if (transaction) return this.outbox.addBulk(this.name, jobs, transaction);
    return this.redis.addBulk(jobs);
  }

  addFlow(flow: PreparedFlow, transaction?: TaskTransaction): Promise<void> {
    if (transaction) return this.outbox.addFlow(flow, transaction);
    return this.redis.addFlow(flow);
  }

  apply(job: PreparedJob, timeoutSeconds: number): Promise<unknown> {
    return this.redis.apply(job, timeoutSeconds);
  }

  applyMany(jobs: PreparedJob[], timeoutSeconds: number): Promise<Promise<unknown>[]> {
    return this.redis.applyMany(jobs, timeoutSeconds);
  }

  getJob(id: string): Promise<TaskJobInfo | undefined> {
    return this.redis.getJob(id);
  }

  stats(): Promise<TaskQueueStats> {
    return this.redis.stats();
  }

  abort(id: string): Promise<boolean> {
    return this.redis.abort(id);
  }

  schedules(): Promise<TaskSchedule[]> {
    return this.redis.schedules();
  }

  schedule(schedule: RuntimeSchedule): Promise<void> {
    return this.redis.schedule(schedule);
  }

  unschedule(id: string): Promise<boolean> {
    return this.redis.unschedule(id);
  }
}
