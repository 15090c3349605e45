import type { TaskRegistry } from '../discovery/task.registry.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { describeBackend, describeNamespace } from '../backends/backend-address.js';

/** Names listed in full in the startup line; past this, only their number. */
const NAMES_SHOWN = 5;

/**
 * @internal The one line a worker process logs once it is up: the backend (kind and where,
 * never a password), the queues with their concurrency, and the schedules it keeps.
 *
 * @example "Worker ready: queues default (concurrency 10), emails (concurrency 2) on Redis at
 * 127.0.0.1:6379/0, prefix 'bull'; 1 schedule: weekly_report"
 */
export function workerReadyLine(config: TaskQueueConfig, registry: TaskRegistry): string {
  const queues = config.workerQueues
    .map((queue) => {
      const prefetch = config.prefetch.get(queue);
      const ahead = prefetch ? `, prefetch ${prefetch}` : '';
      return `${queue} (concurrency ${config.queues.get(queue)}${ahead})`;
    })
    .join(', ');
  const scheduled = config.workerQueues.flatMap((queue) =>
    [...registry.tasksOn(queue).values()]
      .map(({ definition }) => definition)
      .filter((task) => task.cron !== undefined || task.every !== undefined)
      .map((task) => task.name),
  );
  const names =
    scheduled.length > NAMES_SHOWN
      ? `${scheduled.slice(0, NAMES_SHOWN).join(', ')} and ${scheduled.length - NAMES_SHOWN} more`
      : scheduled.join(', ');
  const schedules =
    scheduled.length === 0
      ? 'no schedules'
      : `${scheduled.length} schedule${scheduled.length === 1 ? '' : 's'}: ${names}`;
  const namespace = describeNamespace(config.backend);
  const where = `${describeBackend(config.backend)}${namespace ? `, ${namespace}` : ''}`;
  return `Worker ready: queues ${queues} on ${where}; ${schedules}`;
}
