import { getRegistry } from '@app/task-queue';
import './campaigns/campaigns.tasks.js';
import './payments/payments.tasks.js';
import './shared/shared.tasks.js';
import './users/onboarding.tasks.js';
import './users/users.tasks.js';

// The catalogue is filled when the task classes are defined: no application, no Redis.
describe("the example's tasks", () => {
  const byName = new Map(
    getRegistry()
      .getAllTasks()
      .map((task) => [task.name, task]),
  );

  it('are all catalogued under the names the guide uses', () => {
    expect([...byName.keys()].sort()).toEqual([
      'batch_process',
      'capture_payment',
      'cleanup_old_records',
      'enqueue_follow_up',
      'onboard_user',
      'process_data',
      'refund_payment',
      'send_email',
      'send_newsletter',
      'send_welcome_email',
      'update_user_status',
      'weekly_report',
    ]);
  });

  it('declare their schedules, timeouts (seconds) and default kwargs', () => {
    expect(byName.get('cleanup_old_records')).toMatchObject({ cron: '0 2 * * *', timeout: 900 });
    expect(byName.get('weekly_report')).toMatchObject({ cron: '0 9 * * 1', timeout: 1800 });
    expect(byName.get('batch_process')).toMatchObject({
      cron: '0 */6 * * *',
      timeout: 1800,
      kwargs: { batchSize: 100 },
      className: 'PaymentsTasks',
      methodName: 'batchProcess',
    });
    expect(byName.get('send_email')?.cron).toBeUndefined();
  });
});
