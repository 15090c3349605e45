import type { TaskJobInfo, TaskQueueStats } from '../interfaces/task-job.interface.js';
import type { TaskSchedule } from '../interfaces/task-schedule.interface.js';
import type { QueueJobStore } from '../producer/job-store.js';
import type { PreparedJob } from '../producer/prepared-job.js';
import type { PreparedFlow } from '../producer/task-flow.js';
import type { RuntimeSchedule } from '../scheduling/task-schedule.store.js';
import type { MemoryJob } from './memory-job.js';
import type { MemoryJobs } from './memory.jobs.js';

/**
 * @internal One queue's view of {@link MemoryJobs}, behind its `TaskQueue`. A `transaction`
 * (checked by the queue to have `query`) is taken and the job added at once: memory has no
 * database to join, and whether a caller's transaction commits cannot be seen from its
 * `query` alone. Tests of code that enqueues in a transaction see the job as if it committed.
 */
export class MemoryQueueJobs implements QueueJobStore {
  constructor(
    private readonly jobs: MemoryJobs,
    private readonly name: string,
  ) {}

  add(job: PreparedJob): Promise<MemoryJob> {
    return this.jobs.add(this.name, job);
  }

  async addBulk(jobs: PreparedJob[]): Promise<MemoryJob[]> {
    const added: MemoryJob[] = [];
    for (const job of jobs) added.push(await this.add(job));
    return added;
  }

  /** Runs the job at once, in either mode; the wait's timeout has nothing to wait for. */
  async apply(prepared: PreparedJob): Promise<unknown> {
    return this.jobs.outcome(await this.add(prepared));
  }

  /** Adds them all, then runs each at once as `apply` does, in either mode. */
  async applyMany(prepared: PreparedJob[]): Promise<Promise<unknown>[]> {
    const added: MemoryJob[] = [];
    for (const job of prepared) added.push(await this.add(job));
    return added.map((job) => this.jobs.outcome(job));
  }

  async addFlow(flow: PreparedFlow): Promise<void> {
    await this.jobs.addFlow(flow);
  }

  async getJob(id: string): Promise<TaskJobInfo | undefined> {
    return this.jobs.find(this.name, id)?.info();
  }

  async stats(): Promise<TaskQueueStats> {
    const counts = { queued: 0, scheduled: 0, active: 0, complete: 0, failed: 0 };
    for (const { status } of this.jobs.onQueue(this.name)) {
      counts[status === 'aborted' ? 'failed' : status] += 1;
    }
    return { counts, workers: 0 };
  }

  async abort(id: string): Promise<boolean> {
    return this.jobs.abort(this.name, id);
  }

  schedules(): Promise<TaskSchedule[]> {
    return this.jobs.schedules(this.name);
  }

  schedule(schedule: RuntimeSchedule): Promise<void> {
    return this.jobs.scheduleStore.queue(this.name).upsert(schedule);
  }

  unschedule(id: string): Promise<boolean> {
    return this.jobs.scheduleStore.queue(this.name).remove(id);
  }
}
