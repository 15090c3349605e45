import type { FlowJob, JobsOptions } from 'bullmq';
import type { PreparedJob } from '../../producer/prepared-job.js';

/** @internal A job (or a whole flow) as the outbox keeps it, ready for BullMQ once relayed. */
export type OutboxRow =
  | {
      id: string;
      kind: 'job';
      queue: string;
      body: { name: string; data: object; opts: JobsOptions };
    }
  | { id: string; kind: 'flow'; queue: string; body: FlowJob };

/** @internal The row of one job on `queue`: its id is the row's, and will be the BullMQ job's. */
export function jobRow(id: string, queue: string, { name, data, opts }: PreparedJob): OutboxRow {
  return { id, kind: 'job', queue, body: { name, data, opts: { ...opts, jobId: id } } };
}

/**
 * @internal The row of a flow: the whole tree, with the ids the flow gave each job (the root's
 * is the row's), so BullMQ adds it atomically at relay time, as `enqueueFlow` does without one.
 */
export function flowRow(id: string, flow: FlowJob): OutboxRow {
  return { id, kind: 'flow', queue: flow.queueName, body: flow };
}

/**
 * @internal A job's options as relayed `ageMs` after it was written: a delay counts from the
 * enqueue, not from the relay. A delay already over stays a delay (1 ms), so a debounce still
 * finds a delayed job to replace.
 */
export function relayedOptions<T extends JobsOptions | undefined>(opts: T, ageMs: number): T {
  if (!opts?.delay) return opts;
  return { ...opts, delay: Math.max(1, Math.round(opts.delay - ageMs)) };
}

/** @internal `flow` with every job's delay counted from the enqueue, as {@link relayedOptions}. */
export function relayedFlow(flow: FlowJob, ageMs: number): FlowJob {
  return {
    ...flow,
    opts: relayedOptions(flow.opts, ageMs),
    ...(flow.children ? { children: flow.children.map((child) => relayedFlow(child, ageMs)) } : {}),
  };
}
