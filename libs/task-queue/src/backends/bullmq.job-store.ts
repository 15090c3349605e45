import { Job, type JobType, type Queue } from 'bullmq';
import type { TaskJobInfo, TaskQueueStats } from '../interfaces/task-job.interface.js';
import type { TaskSchedule } from '../interfaces/task-schedule.interface.js';
import type { TaskTransaction } from '../interfaces/task-transaction.interface.js';
import { BackendCommands } from './backend-commands.js';
import { countsByStatus, KNOWN_STATES, STATUS, toJobInfo } from './bullmq.job-info.js';
import { JobStore, type QueueJobStore } from '../producer/job-store.js';
import type { PreparedJob } from '../producer/prepared-job.js';
import { flowSize, type PreparedFlow } from '../producer/task-flow.js';
import { toFlowJob } from './bullmq.job-options.js';
import { readSteps } from './bullmq.job-steps.js';
import { stepsOf } from '../durable/job-steps.js';
import type { RuntimeSchedule } from '../scheduling/task-schedule.store.js';
import { SCHEDULE_START_MARGIN_MS } from '../task-queue.constants.js';
import { abortJob, explainChildFailure } from './bullmq.flows.js';
import { listSchedules } from './bullmq.schedules.js';
import { JobOutcomes, type ExplainTimeout } from './bullmq.outcomes.js';
import { explainTimeout, workerHint } from './bullmq.wait-timeout.js';
import type { TaskTracing } from '../observability/task-queue.tracing.js';
import { QueueBackend } from './queue-backend.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { OutboxQueueJobs } from './outbox/outbox.queue-jobs.js';
import type { OutboxWriter } from './outbox/outbox.writer.js';

/**
 * How often a wait for many outcomes reads the jobs still unfinished, in ms, where the event
 * stream is not known to miss events (a Redis stream only drops those it trims).
 */
const OUTCOME_CHECK_MS = 5000;

/** @internal The production job stores: BullMQ queues on the application's backend. */
export class BullJobStore extends JobStore {
  constructor(
    private readonly backend: QueueBackend,
    private readonly tracing: TaskTracing,
    private readonly config: TaskQueueConfig,
    /** Redis with `forRoot({ outbox })`: where transactional enqueues write. */
    private readonly outbox?: OutboxWriter,
  ) {
    super();
  }

  queue(name: string): QueueJobStore {
    const explain = explainTimeout(this.backend, name, workerHint(this.config, name));
    const jobs = new BullQueueJobs(this.backend, name, this.tracing, explain);
    return this.outbox ? new OutboxQueueJobs(name, jobs, this.outbox) : jobs;
  }
}

/** @internal One queue's jobs in BullMQ: every command fails fast while the backend is down. */
class BullQueueJobs implements QueueJobStore {
  private readonly queue: Queue;
  private readonly commands: BackendCommands;
  private outcomes?: Promise<JobOutcomes>;

  constructor(
    private readonly backend: QueueBackend,
    private readonly name: string,
    private readonly tracing: TaskTracing,
    private readonly explain: ExplainTimeout,
  ) {
    this.queue = backend.queue(name);
    this.commands = new BackendCommands(backend, name);
  }

  add({ name, data, opts }: PreparedJob, transaction?: TaskTransaction): Promise<Job> {
    return this.tracing.send(this.name, name, opts, (traced) =>
      this.send(() => this.queue.add(name, data, traced), transaction),
    );
  }

  addBulk(jobs: PreparedJob[], transaction?: TaskTransaction): Promise<Job[]> {
    return this.tracing.sendBatch(this.name, jobs.length, (inject) => {
      const traced = jobs.map(({ name, data, opts }) => ({ name, data, opts: inject(opts) }));
      return this.send(() => this.queue.addBulk(traced), transaction);
    });
  }

  /**
   * Runs an add on the backend, or through the caller's transaction. That one is not ours to
   * fail fast on or probe: on PGlite a query of our pool would wait for it to end.
   */
  private send<T>(add: () => Promise<T>, transaction: TaskTransaction | undefined): Promise<T> {
    if (!transaction) return this.commands.run(add);
    return this.backend.throughTransaction(transaction, this.name, add);
  }

  async apply(prepared: PreparedJob, timeoutSeconds: number): Promise<unknown> {
    const outcomes = await (this.outcomes ??= this.openOutcomes());
    const add = async () => [await this.add(prepared)];
    const [outcome] = await outcomes.addAndWait(add, timeoutSeconds * 1000, 'apply');
    return outcome;
  }

  async applyMany(jobs: PreparedJob[], timeoutSeconds: number): Promise<Promise<unknown>[]> {
    const outcomes = await (this.outcomes ??= this.openOutcomes());
    return outcomes.addAndWait(() => this.addBulk(jobs), timeoutSeconds * 1000, 'map');
  }

  /** The queue's one waiter for outcomes (of `apply` and `map`), on its shared event stream. */
  private async openOutcomes(): Promise<JobOutcomes> {
    try {
      const events = await this.commands.run(() => this.backend.queueEvents(this.name));
      const read = (ids: string[]) => this.backend.finishedJobs(this.name, ids);
      const checkMs = this.backend.eventPollMs ?? OUTCOME_CHECK_MS;
      return new JobOutcomes(this.backend, events, read, checkMs, this.explain);
    } catch (error) {
      this.outcomes = undefined;
      throw error;
    }
  }

  /** The whole tree in one `send` span (the root's queue and id), carried by every job. */
  addFlow(flow: PreparedFlow, transaction?: TaskTransaction): Promise<void> {
    return this.tracing.sendBatch(
      flow.queue,
      flowSize(flow),
      async (inject) => {
        const add = () => this.backend.flowProducer().add(toFlowJob(flow, inject));
        await this.send(add, transaction);
      },
      flow.id,
    );
  }

  async getJob(id: string): Promise<TaskJobInfo | undefined> {
    // State first: a job read after it may be further along, never behind what it reports.
    const status = STATUS[await this.commands.run(() => this.queue.getJobState(id))];
    if (!status) return undefined;
    // The journal is read beside the job: no round trip more.
    const [job, records] = await this.commands.run(() =>
      Promise.all([Job.fromId(this.queue, id), readSteps(this.queue, id)]),
    );
    if (!job) return undefined;
    const info = toJobInfo(job, status, this.name, stepsOf(records));
    return status === 'failed' ? explainChildFailure(this.backend, info) : info;
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

  abort(id: string): Promise<boolean> {
    return abortJob(this.backend, this.name, id, (command) => this.commands.run(command));
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
