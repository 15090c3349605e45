import type { Job } from 'bullmq';
import type { TaskJobOptions } from '../producer/enqueue-options.js';

/** @internal What `ctx.childResults()` reads of a job. */
export type ChildrenSource = Partial<Pick<Job, 'opts' | 'getChildrenValues'>>;

/**
 * @internal The results of `job`'s children, in the order its flow gave them (`null` for a
 * child that returned nothing). BullMQ keys them by child: `<prefix>:<queue>:<id>` on Redis,
 * `<queue>:<id>` on PostgreSQL; queue names and the ids given to flow jobs hold no `:`, so the
 * last two parts name the child on either.
 */
export async function childResultsOf(job: ChildrenSource): Promise<unknown[]> {
  const opts = job.opts as TaskJobOptions | undefined;
  const children = opts?.taskChildren;
  if (!children?.length || !job.getChildrenValues) return [];
  const values: Record<string, unknown> = (await job.getChildrenValues()) ?? {};
  const byRef = new Map<string, unknown>();
  for (const [key, value] of Object.entries(values)) {
    byRef.set(key.split(':').slice(-2).join(':'), value);
  }
  return children.map((ref) => byRef.get(ref) ?? null);
}
