import { Controller, HttpCode, ParseIntPipe, Post, Query } from '@nestjs/common';
import { TaskQueues } from '@app/task-queue';

/**
 * `POST /payments/batch[?batchSize=n]` runs the scheduled `batch_process` now. Without
 * `batchSize`, the schedule's kwargs (100) apply.
 */
@Controller('payments')
export class PaymentsController {
  constructor(private readonly taskQueues: TaskQueues) {}

  @Post('batch')
  @HttpCode(202)
  async runBatch(
    @Query('batchSize', new ParseIntPipe({ optional: true })) batchSize?: number,
  ): Promise<{ jobId: string }> {
    const payload = batchSize === undefined ? {} : { batchSize };
    const job = await this.taskQueues.get('default').enqueue('batch_process', payload);
    return { jobId: job.id };
  }
}
