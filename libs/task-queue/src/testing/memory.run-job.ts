import type { RunnableJob } from '../worker/runnable-job.js';
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
