// The consumer application's module: a task with a per-job parameter and a per-second schedule.
import { Inject, Injectable, Module, Scope, type OnApplicationShutdown } from '@nestjs/common';
import {
  ScheduledTask,
  Task,
  TASK_JOB,
  TaskQueueModule,
  type OnTaskSuccess,
  type TaskContext,
} from 'nestjs-task-queue';

export const report = (event: string, details: object = {}) =>
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
