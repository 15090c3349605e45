// The packed package beside @nestjs/schedule and @nestjs/bullmq, at the versions of the app's
// NestJS: with `schedule: 'distributed'`, a @Cron and an @Interval method run as tasks; with no
// connection of its own, the module takes BullModule.forRoot()'s connection and prefix; the
// @InjectQueue('default') queue is the one the tasks run on (a job added to it runs as the task
// of its name); under the testing kit, the provider that injects it still compiles, and the
// queue refuses to be used, saying why. Reports what it saw as one JSON object, then exits.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Cron, Interval } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import type { Queue } from 'bullmq';
import { Task, TaskQueueConfigError, TaskQueueModule, TaskQueues } from 'nestjs-task-queue';
import type { TaskContext } from 'nestjs-task-queue';
import { overrideTaskQueueModule } from 'nestjs-task-queue/testing';

const { hostname, port } = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const redis = { host: hostname, port: Number(port || 6379) };
const ticks = { cron: 0, interval: 0 };

@Injectable()
export class EcosystemTasks {
  @Cron('* * * * * *', { name: 'nest_cron' })
  cron() {
    ticks.cron += 1;
  }

  @Interval(1000)
  interval() {
    ticks.interval += 1;
  }

  @Task('echo')
  echo(_ctx: TaskContext, payload: { text: string }) {
    return { echoed: payload.text };
  }
}

@Injectable()
export class EchoProducer {
  constructor(@InjectQueue('default') readonly queue: Queue) {}
}

@Module({
  imports: [
    BullModule.forRoot({ connection: redis, prefix: process.env.TASK_QUEUE_PREFIX }),
    TaskQueueModule.forRoot({ schedule: 'distributed' }),
  ],
  providers: [EcosystemTasks, EchoProducer],
})
export class EcosystemModule {}

/** Polls `check` every 100 ms until it returns something, for at most 20 s. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`ecosystem: no ${what} within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main() {
  const app = await NestFactory.createApplicationContext(EcosystemModule, {
    logger: ['error', 'warn'],
  });
  const { queue } = app.get(EchoProducer);
  const tasks = app.get(TaskQueues).get('default');
  const added = await queue.add('echo', { text: 'from @InjectQueue' });
  const echoed = await until('run of the job added to the injected queue', async () => {
    const job = await tasks.getJob(added.id!);
    return job?.status === 'complete' ? job.result : undefined;
  });
  await until('two ticks of the @Cron and of the @Interval', async () =>
    ticks.cron >= 2 && ticks.interval >= 2 ? true : undefined,
  );
  const schedules = (await tasks.schedules()).map(({ name, cron, every }) => ({
    name,
    cron,
    every,
  }));
  const injected = {
    name: queue.name,
    prefix: queue.opts.prefix,
    completed: await queue.getJobCountByTypes('completed'),
  };
  await app.close();

  const moduleRef = await overrideTaskQueueModule(
    Test.createTestingModule({ imports: [EcosystemModule] }),
  ).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  let refused: object = { refused: false };
  try {
    await moduleRef.get(EchoProducer).queue.add('echo', { text: 'in a unit test' });
  } catch (error) {
    refused = { name: (error as Error).name, typed: error instanceof TaskQueueConfigError };
  }
  await moduleRef.close();
  console.log(JSON.stringify({ echoed, ticks, schedules, injected, refused }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
