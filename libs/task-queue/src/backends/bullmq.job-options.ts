import type { FlowJob, JobsOptions } from 'bullmq';
import type { TaskJobOptions } from '../producer/job-settings.js';
import type { PreparedFlow } from '../producer/task-flow.js';

/** Compiles only while `T` is options BullMQ takes. */
type Accepted<T extends JobsOptions> = T;

/**
 * @internal A prepared job's settings as BullMQ's options: the same object, handed over with no
 * copy per job. Should a setting stop matching BullMQ's name or unit, this fails to compile.
 */
export type BullJobOptions = Accepted<TaskJobOptions>;

/**
 * @internal `flow` as BullMQ's `FlowProducer.add` takes it, each job's options passed through
 * `withOpts` (the trace context of the flow's `send` span goes into every job).
 */
export function toFlowJob(
  { queue, job, children }: PreparedFlow,
  withOpts: (opts: JobsOptions) => JobsOptions = (opts) => opts,
): FlowJob {
  const opts: BullJobOptions = job.opts;
  return {
    name: job.name,
    queueName: queue,
    data: job.data,
    opts: withOpts(opts),
    ...(children.length ? { children: children.map((child) => toFlowJob(child, withOpts)) } : {}),
  };
}
