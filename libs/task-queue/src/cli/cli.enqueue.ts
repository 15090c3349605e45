import type { INestApplicationContext } from '@nestjs/common';
import { TaskRegistry } from '../discovery/task.registry.js';
import { TaskFailedError, TaskWaitTimeoutError } from '../errors/index.js';
import { TaskQueues } from '../producer/task-queues.service.js';
import { DEFAULT_APPLY_TIMEOUT } from '../task-queue.constants.js';
import { CliInputError } from './cli-input.error.js';
import { parsePayload, type CliCommand } from './cli.args.js';
import { json, type CommandOutput } from './cli.output.js';

/**
 * The queue of `name`: `--queue` when given (the library checks it), else the queue of the only
 * task of that name; an unknown task or one on several queues is a `CliInputError`.
 */
function queueOf(app: INestApplicationContext, name: string, given?: string): string {
  if (given !== undefined) return given;
  const tasks = app.get(TaskRegistry).getAllTasks();
  const queues = tasks.filter((task) => task.name === name).map((task) => task.queue!);
  if (queues.length > 1) {
    throw new CliInputError(
      `Task '${name}' is on queues ${queues.join(', ')}: pick one with --queue.`,
      'enqueue',
    );
  }
  if (queues.length === 0) {
    const names = [...new Set(tasks.map((task) => task.name))].sort().join(', ');
    throw new CliInputError(
      `Unknown task '${name}'. Tasks of this application: ${names || '(none)'}. Check the ` +
        `name (the CLI's tasks command lists them) and that --module names your root module.`,
      'enqueue',
    );
  }
  return queues[0];
}

/**
 * @internal `enqueue`: one job; prints its id, or with `--wait` the task's result (exit 1 when
 * the task failed or the wait ran out).
 */
export async function enqueue(
  app: INestApplicationContext,
  command: CliCommand,
): Promise<CommandOutput> {
  const [name] = command.args;
  const payload = parsePayload(command.payload);
  const queue = app.get(TaskQueues).get(queueOf(app, name, command.queue));
  if (!command.wait) {
    const job = await queue.enqueue(name, payload);
    return { stdout: command.json ? json(job) : job.id };
  }
  const timeout = command.timeout ?? DEFAULT_APPLY_TIMEOUT;
  try {
    const result = await queue.apply(name, payload, { timeout });
    return { stdout: json(command.json ? { status: 'complete', result } : result) };
  } catch (error) {
    if (error instanceof TaskFailedError) {
      const failure = { status: 'failed', id: error.jobId, error: error.reason };
      return {
        stdout: command.json ? json(failure) : '',
        stderr: `Task '${name}' failed (job ${error.jobId} on '${queue.name}'): ${error.reason}`,
        code: 1,
      };
    }
    if (error instanceof TaskWaitTimeoutError) {
      const waiting = { status: 'waiting', id: error.jobId, error: error.message };
      return {
        stdout: command.json ? json(waiting) : '',
        stderr: `${error.message} Follow it with: status ${queue.name} ${error.jobId}`,
        code: 1,
      };
    }
    throw error;
  }
}
