import { Job, type JobType, type Queue } from 'bullmq';
import type { TaskJobInfo, TaskQueueStats } from '../interfaces/task-job.interface.js';
import type { TaskSchedule } from '../interfaces/task-schedule.interface.js';
import { BackendCommands } from '../producer/backend-commands.js';
import { countsByStatus, KNOWN_STATES, STATUS, toJobInfo } from '../producer/job-info.js';
import { JobStore, type QueueJobStore } from '../producer/job-store.js';
import { settleWait, waitForOutcome } from '../producer/job-outcome.js';
import type { PreparedJob } from '../producer/prepared-job.js';
import { listSchedules, type RuntimeSchedule } from '../scheduling/task-schedule.store.js';
import { ABORTED_REASON, SCHEDULE_START_MARGIN_MS } from '../task-queue.constants.js';
import type { TaskTracing } from '../observability/task-queue.tracing.js';
import { QueueBackend } from './queue-backend.js';

/** @internal The production job stores: BullMQ queues on the application's backend. */
export class BullJobStore extends JobStore {
  constructor(
    private readonly backend: QueueBackend,
    private readonly tracing: TaskTracing,
  ) {
    super();
  }

  queue(name: string): QueueJobStore {
    return new BullQueueJobs(this.backend, name, this.tracing);
  }
}

/** @internal One queue's jobs in BullMQ: every command fails fast while the backend is down. */
class BullQueueJobs implements QueueJobStore {
  private readonly queue: Queue;
  private readonly commands: BackendCommands;

  constructor(
    private readonly backend: QueueBackend,
    private readonly name: string,
    private readonly tracing: TaskTracing,
  ) {
    this.queue = backend.queue(name);
    this.commands = new BackendCommands(backend, name);
  }

  add({ name, data, opts }: PreparedJob): Promise<Job> {
    return this.tracing.send(this.name, name, opts, (traced) =>
      this.commands.run(() => this.queue.add(name, data, traced)),
    );
  }

  addBulk(jobs: PreparedJob[]): Promise<Job[]> {
    return this.tracing.sendBatch(this.name, jobs.length, (inject) => {
      const traced = jobs.map(({ name, data, opts }) => ({ name, data, opts: inject(opts) }));
      return this.commands.run(() => this.queue.addBulk(traced));
    });
  }

  async apply(prepared: PreparedJob, timeoutSeconds: number): Promise<unknown> {
    const events = await this.commands.run(() => this.backend.queueEvents(this.name));
    const job = await this.add(prepared);
    // Each wait listens for the queue's 'closing' event; many waits at once are expected.
    const { queue } = this;
    queue.setMaxListeners(queue.getMaxListeners() + 1);
    try {
      const { eventPollMs } = this.backend;
      return await waitForOutcome(queue, events, job.id!, timeoutSeconds * 1000, eventPollMs);
    } catch (error) {
      return await settleWait(queue, job, error, timeoutSeconds);
    } finally {
      queue.setMaxListeners(queue.getMaxListeners() - 1);
    }
  }

  async getJob(id: string): Promise<TaskJobInfo | undefined> {
    // State first: a job read after it may be further along, never behind what it reports.
    const status = STATUS[await this.commands.run(() => this.queue.getJobState(id))];
    if (!status) return undefined;
    const job = await this.commands.run(() => Job.fromId(this.queue, id));
    return job ? toJobInfo(job, status, this.name) : undefined;
  }

  async stats(): Promise<TaskQueueStats> {
    const [byState, workers] = await this.commands.run(() =>
      Promise.all([
        this.queue.getJobCounts(...(KNOWN_STATES as JobType[])),
        this.backend.workersCount(this.name),
      ]),
    );
    return { counts: countsByStatus(byState), workers };
  }

  async abort(id: string): Promise<boolean> {
    const { queue, backend } = this;
    const marked = await this.commands.run(() =>
      backend.markAborted(this.name, id, ABORTED_REASON),
    );
    if (marked !== 1) return false;
    // Announced whatever its state: it may be taken by a worker at this very moment.
    await backend.publishAbort(this.name, id);
    if ((await queue.getJobState(id)) === 'delayed') {
      // Due now, so a worker fails it at once instead of at its planned time.
      await (await Job.fromId(queue, id))?.promote().catch(() => undefined);
    }
    return true;
  }

  schedules(): Promise<TaskSchedule[]> {
    return this.commands.run(() => listSchedules(this.queue));
  }

  async schedule({ id, when, template }: RuntimeSchedule): Promise<void> {
    // As at boot: a first tick computed too close to now could be one a worker is starting
    // under the schedule this upsert replaces.
    const startDate = Date.now() + SCHEDULE_START_MARGIN_MS;
    await this.commands.run(() =>
      this.queue.upsertJobScheduler(id, { ...when, startDate }, template),
    );
  }

  unschedule(id: string): Promise<boolean> {
    return this.commands.run(() => this.queue.removeJobScheduler(id));
  }
}
