import type { TaskContext, TaskJobRef } from '../interfaces/task-context.interface.js';
import type { TaskQueue } from '../producer/task-queue.js';
import type { WaitForEventOptions } from '../durable/step-journal.js';
import type { RunJob } from './task-run.js';

/** @internal What the context reads of its run. */
export interface ContextSource {
  readonly job: RunJob;
  readonly payload: object;
  signal(): AbortSignal;
  rateLimit(seconds: number): Promise<never>;
  step<R>(id: string, fn: () => R | PromiseLike<R>): Promise<R>;
  sleep(seconds: number): Promise<void>;
  waitForEvent(name: string, options: WaitForEventOptions): Promise<unknown>;
}

/** @internal `ctx`: what a task sees of its run; `ctx.job` is made on first read. */
export class RunContext implements TaskContext {
  private ref?: TaskJobRef;

  constructor(
    private readonly run: ContextSource,
    readonly queue: TaskQueue,
  ) {}

  get job(): TaskJobRef {
    const { job, payload } = this.run;
    return (this.ref ??= {
      id: job.id,
      name: job.name,
      queue: this.queue.name,
      attempt: job.attemptsMade + 1,
      payload,
    });
  }

  get signal(): AbortSignal {
    return this.run.signal();
  }

  progress(value: number | object): Promise<void> {
    return this.run.job.updateProgress(value);
  }

  childResults<R = unknown>(): Promise<R[]> {
    const { job } = this.run;
    return (job.childResults ? job.childResults() : Promise.resolve([])) as Promise<R[]>;
  }

  rateLimit(seconds: number): Promise<never> {
    return this.run.rateLimit(seconds);
  }

  step<R>(id: string, fn: () => R | PromiseLike<R>): Promise<R> {
    return this.run.step(id, fn);
  }

  sleep(seconds: number): Promise<void> {
    return this.run.sleep(seconds);
  }

  waitForEvent<E = unknown>(name: string, options: WaitForEventOptions): Promise<E | null> {
    return this.run.waitForEvent(name, options) as Promise<E | null>;
  }
}
