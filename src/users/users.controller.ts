import { Controller, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import { TaskQueues } from '@app/task-queue';

/** Enqueues the users' tasks: `POST /users/:id/welcome` and `POST /users/:id/follow-up`. */
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
}
