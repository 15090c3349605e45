import { Job } from 'bullmq';
import type { TaskJobInfo } from '../interfaces/task-job.interface.js';
import type { TaskJobOptions } from '../producer/job-settings.js';
import { ABORTED_REASON } from '../task-queue.constants.js';
import { flowMessages } from '../producer/task-flow.messages.js';
import { BullEventWaiters } from './bullmq.event-waiters.js';
import type { QueueBackend } from './queue-backend.js';

/**
 * BullMQ's failure of a parent whose child failed (`failParentOnFailure`): the child's key. Its
 * text is all BullMQ records of that failure; test/flows.e2e-spec.ts pins it (a failed child
 * named in its parent's failure).
 */
const CHILD_FAILED = /^child (\S+) failed$/;

/** Levels of a flow followed down to the failure that ended its root. */
const MAX_DEPTH = 32;

/** A child's key, `<prefix>:<queue>:<id>` (Redis) or `<queue>:<id>` (PostgreSQL): queue and id. */
const queueAndId = (key: string) => key.split(':').slice(-2) as [string, string];

/**
 * @internal Ends job `id` of `queue` as `abort()` promises (see `markAborted`), and with it
 * its unfinished children, down the tree. The whole tree is marked before any running job is
 * told: a waiting child that a worker takes meanwhile is then failed without running. A
 * child's failure fails its parent at once; the parent's `getJob` reads `aborted` (see
 * {@link explainChildFailure}).
 * @param run runs a backend command as enqueueing does (fail fast while unreachable).
 */
export async function abortJob(
  backend: QueueBackend,
  queueName: string,
  id: string,
  run: <T>(command: () => Promise<T>) => Promise<T>,
): Promise<boolean> {
  const marked: Job[] = [];
  await markTree(backend, queueName, id, run, marked);
  const waiters = new BullEventWaiters(backend);
  for (const job of marked) {
    // Announced whatever its state: it may be taken by a worker at this very moment.
    await backend.publishAbort(job.queueName, job.id!);
    if ((await job.getState()) !== 'delayed') continue;
    // A job waiting for an event leaves no waiter behind for an event to find.
    await waiters.dropOf(job.queueName, job.id!);
    // Due now, so a worker fails it at once instead of at its planned time.
    await job.promote().catch(() => undefined);
  }
  return marked.length > 0;
}

/** Marks job `id` aborted and, if it was unfinished, its children; collects the marked jobs. */
async function markTree(
  backend: QueueBackend,
  queueName: string,
  id: string,
  run: <T>(command: () => Promise<T>) => Promise<T>,
  marked: Job[],
): Promise<void> {
  if ((await run(() => backend.markAborted(queueName, id, ABORTED_REASON))) !== 1) return;
  const job = await Job.fromId(backend.queue(queueName), id);
  if (!job) return;
  marked.push(job);
  for (const ref of (job.opts as TaskJobOptions).taskChildren ?? []) {
    const [childQueue, childId] = queueAndId(ref);
    await markTree(backend, childQueue, childId, run, marked);
  }
}

/**
 * @internal A failed parent as `getJob` reads it: BullMQ records only "child <key> failed";
 * this follows the chain of failed children down to the first failure and puts each level's
 * task and error in the parent's (`child 'fetch' (job … on queue 'io') failed: timeout`). A
 * chain that ends in an abort reads `aborted`. A child removed since is left out.
 */
export async function explainChildFailure(
  backend: QueueBackend,
  info: TaskJobInfo,
): Promise<TaskJobInfo> {
  const chain: { name: string; id: string; queue: string }[] = [];
  let reason = info.error ?? '';
  for (let match = CHILD_FAILED.exec(reason); match && chain.length < MAX_DEPTH;) {
    const [queue, id] = queueAndId(match[1]);
    const child = await Job.fromId(backend.queue(queue), id);
    if (!child) break;
    chain.push({ name: child.name, id, queue });
    reason = child.failedReason ?? '';
    match = CHILD_FAILED.exec(reason);
  }
  if (!chain.length) return info;
  const error = chain.reduceRight(
    (inner, { name, id, queue }) => flowMessages.childFailed(name, id, queue, inner),
    reason,
  );
  return { ...info, error, status: reason === ABORTED_REASON ? 'aborted' : info.status };
}
