// A consumer application of the packed nestjs-task-queue, built by scripts/test-package.js as
// an ESM app on NestJS 12 and as a CommonJS app on NestJS 11. It reports what it saw as one
// JSON object per line on stdout, and runs until SIGTERM.
import 'reflect-metadata';
import { Inject, Injectable, Module, Scope, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  InvalidPayloadError,
  ScheduledTask,
  Task,
  TASK_JOB,
  TaskQueueModule,
  TaskQueues,
  type OnTaskSuccess,
  type TaskContext,
} from 'nestjs-task-queue';

const report = (event: string, details: object = {}) =>
  console.log(JSON.stringify({ event, ...details }));

/** A per-job provider: one per job, told which job it serves, with a success hook. */
@Injectable({ scope: Scope.REQUEST })
export class JobSession implements OnTaskSuccess {
  static made = 0;
  readonly serial = ++JobSession.made;

  constructor(@Inject(TASK_JOB) readonly job: { id?: string }) {}

  onTaskSuccess() {
    report('committed', { jobId: this.job.id, serial: this.serial });
  }
}

@Injectable()
export class GreetingTasks implements OnApplicationShutdown {
  @Task()
  greet(_ctx: TaskContext, payload: { name: string }, session: JobSession) {
    return { greeting: `hello ${payload.name}`, jobId: session.job.id, serial: session.serial };
  }

  @ScheduledTask({ cron: '* * * * * *' })
  everySecond() {
    report('tick');
  }

  onApplicationShutdown(signal?: string) {
    report('shutdown', { signal });
  }
}

@Module({
  imports: [
    TaskQueueModule.forRoot({
      connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: process.env.TASK_QUEUE_PREFIX,
    }),
  ],
  providers: [GreetingTasks, JobSession],
})
export class AppModule {}

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  const queue = app.get(TaskQueues).get('default');
  for (const name of ['first', 'second']) {
    report('applied', await queue.apply('greet', { name }, { timeout: 20 }));
  }
  try {
    await queue.enqueue('greet', { name: 10n } as unknown as { name: string });
    report('bad-payload', { accepted: true });
  } catch (error) {
    const { name, message } = error as Error;
    report('bad-payload', { name, message, typed: error instanceof InvalidPayloadError });
  }
  report('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
