import { Injectable, Logger } from '@nestjs/common';
import { ScheduledTask, type TaskContext } from '@app/task-queue';

/** Payload of `batch_process`; the schedule's kwargs supply `batchSize: 100`. */
export interface BatchPayload {
  batchSize?: number;
}

/** Used only when a run gets neither the schedule's kwargs nor a payload value. */
const FALLBACK_BATCH_SIZE = 50;

/** Tasks of the payments domain. */
@Injectable()
export class PaymentsTasks {
  private readonly logger = new Logger(PaymentsTasks.name);

  /** Every 6 hours: settles pending payments in one batch (here: counts the batch). */
  @ScheduledTask({
    name: 'batch_process',
    cron: '0 */6 * * *',
    timeout: 1800,
    kwargs: { batchSize: 100 },
  })
  async batchProcess(ctx: TaskContext, payload: BatchPayload) {
    const batchSize = payload.batchSize ?? FALLBACK_BATCH_SIZE;
    this.logger.log(`Settling up to ${batchSize} pending payments (job ${ctx.job.id})`);
    return { processed: batchSize };
  }
}
