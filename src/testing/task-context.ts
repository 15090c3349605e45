import type { EnqueuedJob, TaskContext, TaskQueue } from '@app/task-queue';

/** A job a {@link fakeTaskContext}'s queue was asked to enqueue. */
export interface RecordedEnqueue {
  name: string;
  payload: object;
}

/**
 * A hand-made {@link TaskContext} for calling a task method directly in a unit test: no Redis,
 * no worker. Its `queue.enqueue` records what it is given in `enqueued`.
 */
export function fakeTaskContext(name: string, payload: object = {}) {
  const enqueued: RecordedEnqueue[] = [];
  const queue = {
    name: 'default',
    enqueue: async (task: string, data: object = {}): Promise<EnqueuedJob> => {
      enqueued.push({ name: task, payload: data });
      return { id: String(enqueued.length), name: task, queue: 'default' };
    },
  };
  const ctx: TaskContext = {
    job: { id: 'test-1', name, queue: 'default', attempt: 1, payload },
    // Only enqueue is faked; TaskQueue's other methods need Redis.
    queue: queue as unknown as TaskQueue,
    signal: new AbortController().signal,
    progress: async () => {},
  };
  return { ctx, enqueued };
}
