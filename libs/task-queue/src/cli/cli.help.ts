/** The command name users type. */
export const BIN = 'nestjs-task-queue';

const MODULE_OPTION = `  --module, -m FILE[#Export]  your compiled root module (the one importing
                              TaskQueueModule), e.g. dist/app.module.js; the export
                              is #Export, else AppModule, else the default export`;

const COMMON = `  --json                      machine-readable output (JSON on stdout)
  --help, -h                  this help`;

/** Help of each command: what it does, its arguments and options. */
export const COMMAND_HELP: Record<string, string> = {
  tasks: `Usage: ${BIN} --module FILE tasks [--json]
  Lists every task of the application: name, queue, schedule (cron and time zone, or
  interval) and, for a cron, its next run. Reads only your code, not the backend.`,
  enqueue: `Usage: ${BIN} --module FILE enqueue TASK [--payload JSON] [--queue Q] [--wait [--timeout S]] [--json]
  Enqueues one job of TASK and prints its id.
  --payload JSON   the payload, a JSON object (default {}), checked as in your app
  --queue Q        the queue (default: the queue of the only task named TASK)
  --wait           wait for the outcome and print the task's result; exit 1 if it failed
  --timeout S      with --wait: seconds to wait (default 60); exit 1 when it runs out`,
  status: `Usage: ${BIN} --module FILE status [QUEUE [ID]] [--json]
  status           per queue: jobs by status and workers connected
  status QUEUE     the same for one queue
  status QUEUE ID  one job: status, attempts, result or error`,
  schedules: `Usage: ${BIN} --module FILE schedules [QUEUE] [--json]
  The job schedules stored on the backend (of @ScheduledTask() methods and of
  TaskQueue.schedule()), queue by queue: cron or interval, time zone, next run.`,
  worker: `Usage: ${BIN} --module FILE worker [--queues a,b] [--concurrency N]
  Runs workers of your application (no HTTP server), whatever 'worker' says in
  TaskQueueModule.forRoot(); stops gracefully on SIGTERM / SIGINT and exits 0.
  --queues a,b      queues to work on (default: every configured queue)
  --concurrency N   jobs run at once per queue in this process (default: each queue's own)`,
  migrate: `Usage: ${BIN} --module FILE migrate
  Runs BullMQ's PostgreSQL schema migrations, and creates the Redis outbox's table (for apps
  started with migrate: false).
  Nothing to do on Redis without an outbox.`,
};

/** The overall help. */
export const USAGE = `Usage: ${BIN} --module FILE[#Export] <command> [options]

Commands:
  tasks                      every task: name, queue, schedule, next run
  enqueue TASK [--payload JSON] [--queue Q] [--wait]
                             enqueue a job; with --wait, print its result
  status [QUEUE [ID]]        jobs by status per queue, or one job's status and result
  schedules [QUEUE]          the job schedules stored on the backend
  worker [--queues a,b] [--concurrency N]
                             run workers until SIGTERM / SIGINT
  migrate                    run BullMQ's PostgreSQL migrations (and the outbox's)

Options:
${MODULE_OPTION}
${COMMON}

Exit codes: 0 it worked; 1 a waited task failed (or the wait or the backend did);
2 bad input (unknown command or task, bad --payload, module not found), with what to fix.
Help of one command: ${BIN} <command> --help`;

/** Help of `command`, with the options every command takes. */
export function commandHelp(command: string): string {
  return `${COMMAND_HELP[command]}\n\nOptions of every command:\n${MODULE_OPTION}\n${COMMON}`;
}
