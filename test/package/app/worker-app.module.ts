// A consumer's root module whose API processes only enqueue (`worker: false`): its workers run
// in worker.ts (runWorker) and in the package CLI's `worker`, which the CLI steps of
// scripts/test-package.js also use to list and enqueue its tasks.
import { Injectable, Module } from '@nestjs/common';
import { Task, TaskQueueModule, type TaskContext } from 'nestjs-task-queue';

@Injectable()
export class ShoutTasks {
  @Task()
  shout(_ctx: TaskContext, payload: { text: string }) {
    return { shouted: payload.text.toUpperCase(), pid: process.pid };
  }
}

@Module({
  imports: [
    TaskQueueModule.forRoot({
      connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: process.env.TASK_QUEUE_PREFIX,
      worker: false,
    }),
  ],
  providers: [ShoutTasks],
})
export class WorkerAppModule {}
