import { Injectable, Logger } from '@nestjs/common';
import { Task, type TaskContext } from '@app/task-queue';
import type { SendEmailPayload } from '../shared/shared.tasks.js';

/** Payload of the users' tasks. */
export interface UserPayload {
  userId: number;
}

/** Stand-in for a lookup in the users table: the example has no database. */
export const emailOf = (userId: number) => `user${userId}@example.com`;

/** Tasks of the users domain, beside the controller that enqueues them. */
@Injectable()
export class UsersTasks {
  private readonly logger = new Logger(UsersTasks.name);

  /** Welcomes a new user (here: logs the message it would send). */
  @Task('send_welcome_email')
  async sendWelcomeEmail(_ctx: TaskContext, payload: UserPayload) {
    const to = emailOf(payload.userId);
    this.logger.log(`Welcome email to ${to}`);
    return { status: 'sent', userId: payload.userId, to };
  }

  /** Enqueues `send_email` on the queue this job came from, and returns the new job's id. */
  @Task('enqueue_follow_up')
  async enqueueFollowUp(ctx: TaskContext, payload: UserPayload) {
    const email: SendEmailPayload = {
      to: emailOf(payload.userId),
      subject: 'How are you getting on?',
    };
    const followUp = await ctx.queue.enqueue('send_email', email);
    return { enqueued: true, followUpJobId: followUp.id };
  }
}
