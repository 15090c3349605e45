// The payments domain under the testing kit: no backend, the jobs run in the test.
import { Test, type TestingModule } from '@nestjs/testing';
import { TaskQueues } from '@app/task-queue';
import { TaskQueueTester, TaskQueueTestingModule } from '@app/task-queue/testing';
import { PaymentsController } from './payments.controller.js';
import { PaymentsModule } from './payments.module.js';
import { CAPTURE_LIMIT_CENTS, PaymentsTasks } from './payments.tasks.js';

describe('payments', () => {
  let moduleRef: TestingModule;
  let tester: TaskQueueTester;
  let controller: PaymentsController;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [TaskQueueTestingModule.forRoot(), PaymentsModule],
    }).compile();
    moduleRef.useLogger(['error']);
    await moduleRef.init();
    tester = moduleRef.get(TaskQueueTester);
    controller = moduleRef.get(PaymentsController);
  });

  afterAll(() => moduleRef.close());
  afterEach(() => tester.clear());

  it('a captured payment enqueues no refund', async () => {
    await controller.capture(1, 2_500);
    const [capture] = await tester.drain();
    expect(capture).toMatchObject({ name: 'capture_payment', status: 'complete' });
    tester.assertNotEnqueued(PaymentsTasks, 'refundPayment');
  });

  it('a declined capture fails for good and its refund runs', async () => {
    const { jobId } = await controller.capture(2, CAPTURE_LIMIT_CENTS + 1);
    const ran = await tester.drain();
    expect(ran.map(({ name, status }) => [name, status])).toEqual([
      ['capture_payment', 'failed'],
      ['refund_payment', 'complete'],
    ]);
    // Final at once: NonRetryableError uses none of the capture's 3 retries.
    expect(ran[0]).toMatchObject({ attempts: 1 });
    expect(ran[0].error).toMatch(/^Payment 2: capture of 100001 cents declined$/);
    tester.assertEnqueued(PaymentsTasks, 'refundPayment', { paymentId: 2 });
    const capture = await moduleRef.get(TaskQueues).get('default').getJob(jobId);
    expect(capture?.status).toBe('failed');
  });
});
