import { Injectable, Logger } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { NonRetryableError, Task, type TaskContext } from '@app/task-queue';
import { DbSession } from '../database/db-session.js';
import { userEvents, users } from '../database/schema.js';
import type { SendEmailPayload } from '../shared/shared.tasks.js';

/** Payload of the users' tasks. */
export interface UserPayload {
  userId: number;
}

/** Payload of `update_user_status`. */
export interface UserStatusPayload {
  userId: number;
  status: string;
}

/** Stand-in for a lookup in the users table, so the email tasks need no database. */
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

  /**
   * Sets a user's status and records the change, in the job's transaction: both rows are
   * written if the task succeeds, neither if it fails, times out or is aborted.
   */
  @Task('update_user_status')
  async updateUserStatus(_ctx: TaskContext, payload: UserStatusPayload, db: DbSession) {
    const tx = await db.tx();
    const updated = await tx
      .update(users)
      .set({ status: payload.status, updatedAt: new Date() })
      .where(eq(users.id, payload.userId))
      .returning({ id: users.id });
    if (updated.length === 0) throw new NonRetryableError(`No user ${payload.userId}`);
    await tx
      .insert(userEvents)
      .values({ userId: payload.userId, kind: 'status_changed', detail: payload.status });
    return { updated: payload.userId };
  }
}
