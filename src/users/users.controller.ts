import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Param,
  ParseIntPipe,
  Post,
} from '@nestjs/common';
import { TaskQueues } from '@app/task-queue';

/**
 * Enqueues the users' tasks: `POST /users/:id/welcome`, `POST /users/:id/follow-up` and
 * `POST /users/:id/status { status }`.
 */
@Controller('users')
export class UsersController {
  constructor(private readonly taskQueues: TaskQueues) {}

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
