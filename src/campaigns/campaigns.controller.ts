import { Controller, HttpCode, Post } from '@nestjs/common';
import { TaskQueues } from '@app/task-queue';

/** `POST /campaigns/report` runs the scheduled `weekly_report` now: a scheduled task is a task. */
@Controller('campaigns')
export class CampaignsController {
  constructor(private readonly taskQueues: TaskQueues) {}

  @Post('report')
  @HttpCode(202)
  async sendReport(): Promise<{ jobId: string }> {
    const job = await this.taskQueues.get('default').enqueue('weekly_report');
    return { jobId: job.id };
  }
}
