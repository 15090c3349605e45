// Fixtures of the @nestjs/bullmq specs: tasks on two queues, and application code that injects
// their BullMQ queues with @InjectQueue.
import { Injectable, Module } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Job, Queue } from 'bullmq';
import { Task, type TaskContext } from '@app/task-queue';
import { eventually } from './redis.js';

/** Tasks of the `default` and `emails` queues; each returns what it was given and where. */
@Injectable()
export class MailTasks {
  @Task('send-email')
  sendEmail(_ctx: TaskContext, payload: { to: string }) {
    return { sentTo: payload.to, by: 'task' };
  }

  @Task({ name: 'digest', queue: 'emails' })
  digest(_ctx: TaskContext, payload: { week: number }) {
    return { week: payload.week };
  }
}

/** Application code that keeps BullMQ's own API for what the task queue does not wrap. */
@Injectable()
export class QueueUser {
  constructor(
    @InjectQueue('default') readonly queue: Queue,
    @InjectQueue('emails') readonly emails: Queue,
  ) {}
}

@Injectable()
export class OtherQueueUser {
  constructor(@InjectQueue('default') readonly queue: Queue) {}
}

@Module({ providers: [MailTasks, QueueUser, OtherQueueUser] })
export class MailModule {}

/** The job `id` of `queue` once finished: its state and return value. */
export async function finished(queue: Queue, id: string) {
  return eventually(
    async () => {
      // The state first: a job read before it finished would keep no return value.
      const state = await queue.getJobState(id);
      if (state !== 'completed' && state !== 'failed') return undefined;
      const job = (await Job.fromId(queue, id))!;
      return { state, result: job.returnvalue as unknown, reason: job.failedReason };
    },
    15_000,
    `job ${id} to finish`,
  );
}
