import { Injectable, Logger } from '@nestjs/common';
import { NonRetryableError, ScheduledTask, Task, type TaskContext } from '@app/task-queue';

/** Payload of `batch_process`; the schedule's kwargs supply `batchSize: 100`. */
export interface BatchPayload {
  batchSize?: number;
}

/** Used only when a run gets neither the schedule's kwargs nor a payload value. */
const FALLBACK_BATCH_SIZE = 50;

/** Payload of `capture_payment` and `refund_payment`. */
export interface PaymentPayload {
  paymentId: number;
  amountCents: number;
}

/** The example's stand-in for a payment provider's limit: larger captures are declined. */
export const CAPTURE_LIMIT_CENTS = 100_000;

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

  /**
   * Captures an authorized payment. A declined capture is final (no retry would change the
   * answer), and the customer's money is given back by `refund_payment`, a job of its own so
   * that it is retried on its own until it succeeds.
   */
  @Task({ name: 'capture_payment', timeout: 60, retries: 3, retryDelay: 5 })
  async capturePayment(ctx: TaskContext, payload: PaymentPayload) {
    if (payload.amountCents > CAPTURE_LIMIT_CENTS) {
      await ctx.queue.enqueue(PaymentsTasks, 'refundPayment', payload, {
        key: `refund:${payload.paymentId}`,
      });
      throw new NonRetryableError(
        `Payment ${payload.paymentId}: capture of ${payload.amountCents} cents declined`,
      );
    }
    return { captured: payload.paymentId, amountCents: payload.amountCents };
  }

  /** Gives the money of a failed payment back. */
  @Task({ name: 'refund_payment', timeout: 60, retries: 10, retryDelay: 5, retryBackoff: 600 })
  async refundPayment(ctx: TaskContext, payload: PaymentPayload) {
    this.logger.log(`Refunding ${payload.amountCents} cents of payment ${payload.paymentId}`);
    return { refunded: payload.paymentId, amountCents: payload.amountCents };
  }
}
