// The consumer application's module: a task with a per-job parameter, a per-second schedule,
// and a durable task (a step, a sleep, a wait for an event).
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

/** A durable task: a step, a sleep, then a wait for the `email.confirmed` event of its user. */
@Injectable()
export class OnboardingTasks {
  /** How many times the welcome step's function ran, by user. */
  readonly welcomes = new Map<number, number>();

  @Task()
  async onboard(ctx: TaskContext, { userId }: { userId: number }) {
    const welcome = await ctx.step('welcome', () => {
      this.welcomes.set(userId, (this.welcomes.get(userId) ?? 0) + 1);
      return `welcome ${userId}`;
    });
    await ctx.sleep(0.2);
    const confirmed = await ctx.waitForEvent<{ userId: number }>('email.confirmed', {
      match: { userId },
      timeout: 30,
    });
    return ctx.step('done', () => ({ welcome, confirmed, welcomes: this.welcomes.get(userId) }));
  }
}

@Module({
  imports: [
    TaskQueueModule.forRoot({
      connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: process.env.TASK_QUEUE_PREFIX,
    }),
  ],
  providers: [GreetingTasks, JobSession, OnboardingTasks],
})
export class AppModule {}
