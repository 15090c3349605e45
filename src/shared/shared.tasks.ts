import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { lt } from 'drizzle-orm';
import { ScheduledTask, Task, type TaskContext } from '@app/task-queue';
import { DbSession } from '../database/db-session.js';
import { userEvents } from '../database/schema.js';

/** Payload of `send_email`. */
export interface SendEmailPayload {
  to: string;
  subject: string;
  body?: string;
}

/** Payload of `send_newsletter`. */
export interface NewsletterPayload {
  edition: string;
  /** How long the mailing takes, in seconds (the example simulates the sending). */
  seconds?: number;
}

/** Payload of `process_data`. */
export interface ProcessDataPayload {
  userId: number;
}

const RETENTION_DAYS = 30;

/** Tasks any domain uses. The example talks to no outside service: it logs and computes. */
@Injectable()
export class SharedTasks {
  private readonly logger = new Logger(SharedTasks.name);

  /** Sends an email (here: logs it). Other tasks enqueue it as a follow-up. */
  @Task('send_email')
  async sendEmail(_ctx: TaskContext, payload: SendEmailPayload) {
    if (typeof payload.to !== 'string' || !payload.to.includes('@')) {
      throw new Error(`send_email needs an address in 'to', got ${JSON.stringify(payload.to)}`);
    }
    this.logger.log(`Email to ${payload.to}: ${payload.subject}`);
    return { sent: true, to: payload.to, subject: payload.subject };
  }

  /** Processes a user's data in a few steps, reporting progress; `POST /process` enqueues it. */
  @Task({ name: 'process_data', retries: 2, retryDelay: 1 })
  async processData(ctx: TaskContext, payload: ProcessDataPayload) {
    const { userId } = payload;
    if (!Number.isInteger(userId) || userId < 1) {
      throw new Error(`process_data needs a positive whole userId, got ${JSON.stringify(userId)}`);
    }
    const steps = ['fetch', 'transform', 'store'];
    let digest = `user:${userId}`;
    for (const [index, step] of steps.entries()) {
      digest = createHash('sha256').update(`${step}:${digest}`).digest('hex');
      await ctx.progress(Math.round(((index + 1) / steps.length) * 100));
    }
    this.logger.log(`Processed data of user ${userId} (job ${ctx.job.id})`);
    return { processed: userId, steps: steps.length, checksum: digest.slice(0, 12) };
  }

  /**
   * Mails a newsletter edition: slow, so it has a queue of its own (`emails`), which a worker
   * process can serve alone (`npm run worker -- --queues emails`). Stops early when aborted.
   */
  @Task({ name: 'send_newsletter', queue: 'emails', timeout: 600 })
  async sendNewsletter(ctx: TaskContext, payload: NewsletterPayload) {
    const seconds = payload.seconds ?? 2;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, seconds * 1000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error(`Newsletter ${payload.edition} stopped: ${String(ctx.signal.reason)}`));
      });
    });
    this.logger.log(`Newsletter ${payload.edition} sent (job ${ctx.job.id})`);
    return { edition: payload.edition, sent: true };
  }

  /** Daily at 02:00 UTC: deletes the user events past retention, in the job's transaction. */
  @ScheduledTask({ name: 'cleanup_old_records', cron: '0 2 * * *', timeout: 900 })
  async cleanupOldRecords(_ctx: TaskContext, _payload: object, db: DbSession) {
    const cutoff = new Date(Date.now() - RETENTION_DAYS * 24 * 60 * 60 * 1000);
    const tx = await db.tx();
    const deleted = await tx
      .delete(userEvents)
      .where(lt(userEvents.createdAt, cutoff))
      .returning({ id: userEvents.id });
    this.logger.log(`Deleted ${deleted.length} records older than ${cutoff.toISOString()}`);
    return { deleted: deleted.length, cutoff: cutoff.toISOString() };
  }
}
