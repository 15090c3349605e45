import { Injectable, Logger } from '@nestjs/common';
import { Task, type TaskContext } from '@app/task-queue';
import { readAppConfig } from '../app.config.js';
import { emailOf, type UserPayload } from './users.tasks.js';

/** The event `POST /users/:id/confirm-email` sends, which the onboarding waits for. */
export const EMAIL_CONFIRMED = 'email.confirmed';

/** Data of {@link EMAIL_CONFIRMED}. */
export interface EmailConfirmed {
  userId: number;
  /** When the user confirmed, as an ISO string. */
  at: string;
}

/** What `onboard_user` returns: which emails it sent, in order, and whether the user confirmed. */
export interface OnboardingResult {
  userId: number;
  confirmed: boolean;
  sent: ('welcome' | 'reminder' | 'tips')[];
}

/**
 * The signup's onboarding, a durable task: the welcome email now; then a wait for the user to
 * confirm the address (the `email.confirmed` event of that user); a reminder if the
 * confirmation did not come in time, or else, some days later, the getting-started tips. Its
 * waits hold no worker, and each email is a step: sent once, however often the job runs again.
 */
@Injectable()
export class OnboardingTasks {
  private readonly logger = new Logger(OnboardingTasks.name);
  private readonly times = readAppConfig().onboarding;

  /**
   * The wait begins right after the welcome email: an event sent while no job waits for it is
   * not kept, so a sleep before the wait would miss a user who confirms early.
   */
  @Task({ name: 'onboard_user', retries: 3 })
  async onboardUser(ctx: TaskContext, { userId }: UserPayload): Promise<OnboardingResult> {
    await ctx.step('welcome', () => this.send(userId, 'Welcome! Please confirm your email'));
    const confirmed = await ctx.waitForEvent(EMAIL_CONFIRMED, {
      match: { userId },
      timeout: this.times.confirmWithin,
    });
    if (!confirmed) {
      await ctx.step('reminder', () => this.send(userId, 'Reminder: confirm your email'));
      return { userId, confirmed: false, sent: ['welcome', 'reminder'] };
    }
    await ctx.sleep(this.times.tipsAfter);
    await ctx.step('tips', () => this.send(userId, 'Getting started: three tips'));
    return { userId, confirmed: true, sent: ['welcome', 'tips'] };
  }

  /** Sends an email to the user (here: logs it), and returns where it went. */
  private send(userId: number, subject: string): { to: string; subject: string } {
    const to = emailOf(userId);
    this.logger.log(`Email to ${to}: ${subject}`);
    return { to, subject };
  }
}
