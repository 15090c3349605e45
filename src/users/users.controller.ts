import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Param,
  ParseIntPipe,
  Post,
  Query,
} from '@nestjs/common';
import { TaskQueues } from '@app/task-queue';
import { EMAIL_CONFIRMED, type EmailConfirmed } from './onboarding.tasks.js';
import { SignupService, type SignupResult } from './signup.service.js';

/**
 * Signs users up (`POST /users { email }`), confirms their email (`POST /users/:id/confirm-email`)
 * and enqueues the users' tasks: `POST /users/:id/welcome`, `POST /users/:id/follow-up` and
 * `POST /users/:id/status { status }`.
 */
@Controller('users')
export class UsersController {
  constructor(
    private readonly taskQueues: TaskQueues,
    private readonly signup: SignupService,
  ) {}

  /**
   * Saves the user and enqueues its welcome email in one transaction (see SignupService).
   * `?fail=after-enqueue` fails the signup after the enqueue, to watch both roll back.
   */
  @Post()
  async signUp(
    @Body() body: { email?: unknown } | null,
    @Query('fail') fail?: string,
  ): Promise<SignupResult> {
    const email = body?.email;
    if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) {
      throw new BadRequestException(
        `Expected a JSON body { "email": "<name>@<domain>" }, got email ${JSON.stringify(email) ?? 'missing'}`,
      );
    }
    if (fail !== undefined && fail !== 'after-enqueue') {
      throw new BadRequestException(
        `?fail takes only 'after-enqueue', not ${JSON.stringify(fail)}`,
      );
    }
    return this.signup.signUp(email, { failAfterEnqueue: fail === 'after-enqueue' });
  }

  /**
   * Where the link in the welcome email leads: sends the `email.confirmed` event of the user,
   * which resumes the user's onboarding if it waits for it. Answers how many jobs it woke (0 when
   * none waits: the event is not kept).
   */
  @Post(':id/confirm-email')
  @HttpCode(200)
  async confirmEmail(@Param('id', ParseIntPipe) userId: number): Promise<{ woken: number }> {
    const event: EmailConfirmed = { userId, at: new Date().toISOString() };
    return { woken: await this.taskQueues.sendEvent(EMAIL_CONFIRMED, event) };
  }

  @Post(':id/welcome')
  @HttpCode(202)
  async welcome(@Param('id', ParseIntPipe) userId: number): Promise<{ jobId: string }> {
    const job = await this.taskQueues.get('default').enqueue('send_welcome_email', { userId });
    return { jobId: job.id };
  }

  @Post(':id/follow-up')
  @HttpCode(202)
  async followUp(@Param('id', ParseIntPipe) userId: number): Promise<{ jobId: string }> {
    const job = await this.taskQueues.get('default').enqueue('enqueue_follow_up', { userId });
    return { jobId: job.id };
  }

  @Post(':id/status')
  @HttpCode(202)
  async status(
    @Param('id', ParseIntPipe) userId: number,
    @Body() body: { status?: unknown } | null,
  ): Promise<{ jobId: string }> {
    const status = body?.status;
    if (typeof status !== 'string' || !/^[a-z_]{1,32}$/.test(status)) {
      throw new BadRequestException(
        `Expected a JSON body { "status": <1 to 32 lowercase letters or _> }, got status ${JSON.stringify(status) ?? 'missing'}`,
      );
    }
    const job = await this.taskQueues
      .get('default')
      .enqueue('update_user_status', { userId, status });
    return { jobId: job.id };
  }
}
