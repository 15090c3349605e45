import { Controller, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { TaskQueues } from '@app/task-queue';
import { PaymentsTasks } from './payments.tasks.js';

/**
 * `POST /payments/batch[?batchSize=n]` runs the scheduled `batch_process` now. Without
 * `batchSize`, the schedule's kwargs (100) apply. `POST /payments/:id/capture?amountCents=n`
 * captures a payment in the background (refunded by a follow-up job if declined).
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

  @Post(':id/capture')
  @HttpCode(202)
  async capture(
    @Param('id', ParseIntPipe) paymentId: number,
    @Query('amountCents', ParseIntPipe) amountCents: number,
  ): Promise<{ jobId: string }> {
    const job = await this.taskQueues
      .get('default')
      .enqueue(PaymentsTasks, 'capturePayment', { paymentId, amountCents });
    return { jobId: job.id };
  }
}
