import type { JobSteps, StepRecord } from '../durable/job-steps.js';
import type { RunnableJob } from '../worker/runnable-job.js';
import type { RecordedStep } from './task-queue-testing.interfaces.js';
import type { MemoryJob } from './memory-job.js';

/** @internal A job kept in memory as a run sees it; `TASK_JOB` gives the job itself. */
export class MemoryRunJob implements RunnableJob {
  constructor(readonly native: MemoryJob) {}

  get id(): string {
    return this.native.id;
  }

  get name(): string {
    return this.native.name;
  }

  get data(): unknown {
    return this.native.data;
  }

  get attemptsMade(): number {
    return this.native.attemptsMade;
  }

  get attempts(): number {
    return this.native.opts.attempts ?? 1;
  }

  get timeoutMs(): number | undefined {
    return this.native.opts.taskTimeout;
  }

  /** Runs in memory are not traced. */
  get traceContext(): undefined {
    return undefined;
  }

  get carriedContext(): Readonly<Record<string, unknown>> | undefined {
    return this.native.opts.taskContext;
  }

  /** Its journal, in the job itself: kept as long as the testing module keeps the job. */
  get steps(): JobSteps {
    return memorySteps(this.native.journal);
  }

  updateProgress(value: number | object): Promise<void> {
    return this.native.updateProgress(value);
  }

  /** Its completed children's results by their `<queue>:<id>`, in its flow's order. */
  async childResults(): Promise<unknown[]> {
    const children = this.native.opts.taskChildren;
    if (!children?.length) return [];
    const values = await this.native.getChildrenValues();
    return children.map((ref) => values[ref] ?? null);
  }
}

/** @internal A journal kept in `records` (a job's, or a unit test's context's). */
export const memorySteps = (records: StepRecord[]): JobSteps => ({
  read: () => Promise.resolve([...records]),
  write: (record) => {
    records.push(record);
    return Promise.resolve();
  },
});

/** @internal The steps of a journal, with their results, as the testing kit lists them. */
export const recordedSteps = (records: readonly StepRecord[]): RecordedStep[] =>
  records
    .filter(({ key }) => key.startsWith('step:'))
    .map(({ key, value, at }) => ({
      id: key.slice('step:'.length),
      result: value,
      at: new Date(at),
    }));
