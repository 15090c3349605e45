import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { getNextMillis } from 'bullmq';
import { TaskQueueMigrator, TaskQueues, TaskRegistry, type TaskDefinition } from '@app/task-queue';
import { TasksOnlyModule } from './app.module.js';

const USAGE = `Usage: npm run tasks -- <command> [options]
Commands:
  list                                       every task: name, queue, cron, next run
  enqueue NAME [--payload JSON] [--queue Q]  enqueue a task; prints the job id
  status                                     per queue: jobs by status, workers connected
  migrate                                    run BullMQ's PostgreSQL schema migrations
                                             (for apps started with TASK_QUEUE_MIGRATE=false)
Options:
  --json                                     machine-readable output (list, status)`;

/** A mistake in the command line: printed with the usage text. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Command {
  name: string;
  args: string[];
  payload?: string;
  queue?: string;
  json: boolean;
}

function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        payload: { type: 'string' },
        queue: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const [name, ...args] = parsed.positionals;
  if (parsed.values.help) return { name: 'help', args: [], json: false };
  if (!name) throw new UsageError('No command given.');
  const expected: Record<string, number> = { list: 0, status: 0, enqueue: 1, migrate: 0 };
  if (!(name in expected)) throw new UsageError(`Unknown command '${name}'.`);
  if (args.length !== expected[name]) {
    throw new UsageError(
      name === 'enqueue'
        ? 'enqueue takes one task name: enqueue NAME --payload JSON'
        : `${name} takes no arguments, got: ${args.join(' ')}`,
    );
  }
  const { payload, queue, json } = parsed.values;
  if (name !== 'enqueue' && (payload !== undefined || queue !== undefined)) {
    throw new UsageError(`--payload and --queue belong to enqueue, not ${name}.`);
  }
  return { name, args, payload, queue, json };
}

/** The payload as a JSON object; a usage error otherwise. */
function parsePayload(text: string | undefined): object {
  if (text === undefined) return {};
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--payload is not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new UsageError(`--payload must be a JSON object, like '{"userId":42}', not ${text}.`);
  }
  return payload;
}

/**
 * When a cron task runs next, from its cron and time zone, as BullMQ's scheduler computes it.
 * An interval's next run depends on when its schedule started: `schedules()` reads it.
 */
function nextRun(task: TaskDefinition): string | null {
  if (!task.cron) return null;
  const next = getNextMillis(Date.now(), { pattern: task.cron, tz: task.timeZone ?? 'UTC' });
  return next === undefined ? null : new Date(next).toISOString();
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function run(command: Command): Promise<string> {
  if (command.name === 'help') return USAGE;
  // Enqueue only: the same task modules as the app, so names and payloads are checked here.
  const app = await NestFactory.createApplicationContext(TasksOnlyModule.forRoot(false), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    const taskQueues = app.get(TaskQueues);
    if (command.name === 'list') {
      const tasks = app
        .get(TaskRegistry)
        .getAllTasks()
        .map((task) => ({
          name: task.name,
          queue: task.queue!,
          cron: task.cron ?? null,
          every: task.every ?? null,
          timeZone: task.cron ? (task.timeZone ?? 'UTC') : null,
          nextRun: nextRun(task),
        }));
      if (command.json) return JSON.stringify(tasks, null, 2);
      const rows = tasks.map((t) => [
        t.name,
        t.queue,
        t.cron ?? (t.every === null ? '-' : `every ${t.every} s`),
        t.timeZone ?? '-',
        t.nextRun ?? '-',
      ]);
      return table([['TASK', 'QUEUE', 'CRON', 'ZONE', 'NEXT RUN'], ...rows]);
    }
    if (command.name === 'migrate') {
      const { backend, schema, version } = await app.get(TaskQueueMigrator).migrate();
      return schema === undefined
        ? `Nothing to migrate on ${backend}.`
        : `Schema '${schema}' is at BullMQ schema version ${version}.`;
    }
    if (command.name === 'enqueue') {
      const [name] = command.args;
      const payload = parsePayload(command.payload);
      const queue = command.queue ?? queueOf(app.get(TaskRegistry), name, taskQueues);
      const job = await taskQueues.get(queue).enqueue(name, payload);
      return job.id;
    }
    const stats = await Promise.all(
      taskQueues
        .names()
        .map(async (queue) => ({ queue, ...(await taskQueues.get(queue).stats()) })),
    );
    if (command.json) return JSON.stringify(stats, null, 2);
    const statuses = ['queued', 'scheduled', 'active', 'complete', 'failed'] as const;
    const rows = stats.map(({ queue, counts, workers }) => [
      queue,
      ...statuses.map((status) => String(counts[status])),
      String(workers),
    ]);
    return table([['QUEUE', ...statuses.map((s) => s.toUpperCase()), 'WORKERS'], ...rows]);
  } finally {
    await app.close();
  }
}

/** The queue of the only task called `name`; the default queue when none has it (its error). */
function queueOf(registry: TaskRegistry, name: string, taskQueues: TaskQueues): string {
  const queues = registry
    .getAllTasks()
    .filter((task) => task.name === name)
    .map((task) => task.queue!);
  if (queues.length > 1) {
    throw new UsageError(
      `Task '${name}' is on queues ${queues.join(', ')}: pick one with --queue.`,
    );
  }
  return queues[0] ?? taskQueues.names()[0];
}

async function main() {
  try {
    const output = await run(parseCommand(process.argv.slice(2)));
    process.stdout.write(`${output}\n`);
    process.exit(0);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      error instanceof UsageError ? `${message}\n\n${USAGE}\n` : `Error: ${message}\n`,
    );
    process.exit(1);
  }
}

void main();
