import type { INestApplicationContext } from '@nestjs/common';
import { CronExpressionParser } from 'cron-parser';
import { TaskQueueMigrator } from '../backends/task-queue.migrator.js';
import { TaskRegistry } from '../discovery/task.registry.js';
import type { TaskDefinition } from '../interfaces/task-options.interface.js';
import { TaskQueues } from '../producer/task-queues.service.js';
import { CliInputError } from './cli-input.error.js';
import { DEFAULT_TIME_ZONE } from '../task-queue.constants.js';
import type { CliCommand } from './cli.args.js';
import { cell, json, table, type CommandOutput } from './cli.output.js';

const STATUSES = ['queued', 'scheduled', 'active', 'complete', 'failed'] as const;

/**
 * When a cron task runs next, by cron-parser, the parser BullMQ's scheduler computes its ticks
 * with; intervals depend on the backend.
 */
function nextRun(task: TaskDefinition): string | null {
  if (!task.cron) return null;
  const cron = CronExpressionParser.parse(task.cron, { tz: task.timeZone ?? DEFAULT_TIME_ZONE });
  // A pattern with no date left to match has no next run.
  return cron.hasNext() ? new Date(cron.next().getTime()).toISOString() : null;
}

/** @internal `tasks`: every task of the application, from its code alone. */
export function listTasks(app: INestApplicationContext, command: CliCommand): CommandOutput {
  const tasks = app
    .get(TaskRegistry)
    .getAllTasks()
    .map((task) => ({
      name: task.name,
      queue: task.queue ?? null,
      cron: task.cron ?? null,
      every: task.every ?? null,
      timeZone: task.cron ? (task.timeZone ?? 'UTC') : null,
      nextRun: nextRun(task),
    }));
  if (command.json) return { stdout: json(tasks) };
  const rows = tasks.map((task) => [
    task.name,
    cell(task.queue),
    task.cron ?? (task.every === null ? '-' : `every ${task.every} s`),
    cell(task.timeZone),
    cell(task.nextRun),
  ]);
  return { stdout: table([['TASK', 'QUEUE', 'SCHEDULE', 'ZONE', 'NEXT RUN'], ...rows]) };
}

/** `queue` checked against the configured queues: a `CliInputError` naming them otherwise. */
function knownQueue(taskQueues: TaskQueues, queue: string, command: string): string {
  if (!taskQueues.names().includes(queue)) {
    throw new CliInputError(
      `Unknown queue '${queue}'. Configured queues: ${taskQueues.names().join(', ')}.`,
      command,
    );
  }
  return queue;
}

/** @internal `status`: jobs by status per queue, or one job. */
export async function showStatus(
  app: INestApplicationContext,
  command: CliCommand,
): Promise<CommandOutput> {
  const taskQueues = app.get(TaskQueues);
  const [queue, id] = command.args;
  if (id !== undefined)
    return showJob(taskQueues, knownQueue(taskQueues, queue, 'status'), id, command);
  const names =
    queue === undefined ? taskQueues.names() : [knownQueue(taskQueues, queue, 'status')];
  const stats = await Promise.all(
    names.map(async (name) => ({ queue: name, ...(await taskQueues.get(name).stats()) })),
  );
  if (command.json) return { stdout: json(queue === undefined ? stats : stats[0]) };
  const rows = stats.map(({ queue: name, counts, workers }) => [
    name,
    ...STATUSES.map((status) => String(counts[status])),
    String(workers),
  ]);
  const head = ['QUEUE', ...STATUSES.map((status) => status.toUpperCase()), 'WORKERS'];
  return { stdout: table([head, ...rows]) };
}

async function showJob(
  taskQueues: TaskQueues,
  queue: string,
  id: string,
  command: CliCommand,
): Promise<CommandOutput> {
  const job = await taskQueues.get(queue).getJob(id);
  if (!job) {
    throw new CliInputError(
      `No job '${id}' on queue '${queue}': never enqueued there, or already removed by the ` +
        `queue's retention. Check the id and the queue.`,
      'status',
    );
  }
  if (command.json) return { stdout: json(job) };
  const rows = [
    ['JOB', job.id],
    ['TASK', job.name],
    ['QUEUE', job.queue],
    ['STATUS', job.status],
    ['ATTEMPTS', String(job.attempts)],
    ['PROGRESS', cell(job.progress)],
    ['RESULT', cell(job.result)],
    ['ERROR', cell(job.error)],
  ];
  return { stdout: table(rows) };
}

/** @internal `schedules`: the job schedules stored on the backend, queue by queue. */
export async function listSchedules(
  app: INestApplicationContext,
  command: CliCommand,
): Promise<CommandOutput> {
  const taskQueues = app.get(TaskQueues);
  const [only] = command.args;
  const names =
    only === undefined ? taskQueues.names() : [knownQueue(taskQueues, only, 'schedules')];
  const perQueue = await Promise.all(
    names.map(async (queue) =>
      (await taskQueues.get(queue).schedules()).map((schedule) => ({ queue, ...schedule })),
    ),
  );
  const schedules = perQueue.flat();
  if (command.json) return { stdout: json(schedules) };
  if (schedules.length === 0) return { stdout: `No schedules on ${names.join(', ')}.` };
  const rows = schedules.map((schedule) => [
    schedule.queue,
    schedule.name,
    schedule.cron ?? `every ${schedule.every} s`,
    cell(schedule.timeZone),
    schedule.overlap ? 'yes' : 'no',
    schedule.source,
    schedule.next.toISOString(),
    schedule.id,
  ]);
  const head = ['QUEUE', 'TASK', 'SCHEDULE', 'ZONE', 'OVERLAP', 'SOURCE', 'NEXT RUN', 'ID'];
  return { stdout: table([head, ...rows]) };
}

/** @internal `migrate`: BullMQ's PostgreSQL schema migrations, and the Redis outbox's table. */
export async function migrate(
  app: INestApplicationContext,
  command: CliCommand,
): Promise<CommandOutput> {
  const migration = await app.get(TaskQueueMigrator).migrate();
  if (command.json) return { stdout: json(migration) };
  const { backend, schema, version, outbox } = migration;
  const lines: string[] = [];
  if (schema !== undefined)
    lines.push(`Schema '${schema}' is at BullMQ schema version ${version}.`);
  if (outbox) lines.push(`Outbox table "${outbox.schema}".outbox is at version ${outbox.version}.`);
  return { stdout: lines.length ? lines.join('\n') : `Nothing to migrate on ${backend}.` };
}
