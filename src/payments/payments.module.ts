import { Module } from '@nestjs/common';
import { PaymentsController } from './payments.controller.js';
import { PaymentsTasks } from './payments.tasks.js';

/** The payments domain. */
@Module({
  controllers: [PaymentsController],
  providers: [PaymentsTasks],
})
export class PaymentsModule {}
