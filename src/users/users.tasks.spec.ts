import { createTaskContext } from '@app/task-queue/testing';
import { UsersTasks } from './users.tasks.js';

describe('UsersTasks', () => {
  const tasks = new UsersTasks();

  it('send_welcome_email returns status sent for the user', async () => {
    const ctx = createTaskContext({ name: 'send_welcome_email', payload: { userId: 123 } });
    const result = await tasks.sendWelcomeEmail(ctx, { userId: 123 });
    expect(result).toEqual({ status: 'sent', userId: 123, to: 'user123@example.com' });
  });

  it('enqueue_follow_up enqueues send_email on its own queue', async () => {
    const ctx = createTaskContext({ name: 'enqueue_follow_up', payload: { userId: 5 } });
    const result = await tasks.enqueueFollowUp(ctx, { userId: 5 });
    expect(result).toEqual({ enqueued: true, followUpJobId: '1' });
    expect(ctx.enqueued).toEqual([
      {
        id: '1',
        name: 'send_email',
        queue: 'default',
        payload: { to: 'user5@example.com', subject: 'How are you getting on?' },
        options: {},
      },
    ]);
  });
});
