import {
  InvalidPayloadError,
  Task,
  TaskQueueConfigError,
  UnknownTaskError,
  type TaskContext,
} from '../index.js';
import { createTaskContext } from './index.js';

class MailTasks {
  @Task('notify')
  async notify(ctx: TaskContext, payload: { userId: number }) {
    await ctx.queue.enqueue(MailTasks, 'send', { to: `user${payload.userId}@x` }, { delay: 5 });
    return ctx.job.attempt;
  }

  @Task('send')
  async send(_ctx: TaskContext, payload: { to: string }) {
    return payload.to;
  }

  @Task({ name: 'digest', queue: 'emails' })
  async digest() {}
}

describe('createTaskContext', () => {
  it('gives the job it describes, and records what the task enqueues, typed by class', async () => {
    const ctx = createTaskContext({ name: 'notify', payload: { userId: 3 }, attempt: 2 });
    expect(ctx.job).toEqual({
      id: '1',
      name: 'notify',
      queue: 'default',
      attempt: 2,
      payload: { userId: 3 },
    });
    expect(await new MailTasks().notify(ctx, { userId: 3 })).toBe(2);
    expect(ctx.enqueued).toEqual([
      {
        id: '1',
        name: 'send',
        queue: 'default',
        payload: { to: 'user3@x' },
        options: { delay: 5 },
      },
    ]);
    expect(await ctx.queue.getJob('1')).toMatchObject({ status: 'scheduled' });
  });

  it('checks payloads and queues as enqueue does, and runs nothing', async () => {
    const ctx = createTaskContext();
    await expect(ctx.queue.enqueue('send', { to: new Date(NaN) })).rejects.toThrow(
      InvalidPayloadError,
    );
    await expect(ctx.queue.enqueue(MailTasks, 'digest')).rejects.toThrow(UnknownTaskError);
    await expect(ctx.queue.apply('send', { to: 'a' })).rejects.toThrow(TaskQueueConfigError);
    expect(createTaskContext({ queue: 'emails' }).queue.name).toBe('emails');
    expect(ctx.signal.aborted).toBe(false);
  });
});
