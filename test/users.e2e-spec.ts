// The end-to-end example of docs/testing.md, run for real: keep the two the same.
import { Test, type TestingModule } from '@nestjs/testing';
import { TaskQueueModule, TaskQueues } from 'nestjs-task-queue';
import { UsersModule } from '../src/users/users.module.js';
import { deleteKeys, REDIS_URL, uniquePrefix } from './support/redis.js';

describe('send_welcome_email on a worker', () => {
  const prefix = uniquePrefix('users');
  let moduleRef: TestingModule;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [TaskQueueModule.forRoot({ connection: REDIS_URL, prefix }), UsersModule],
    }).compile();
    await moduleRef.init();
  });

  afterAll(async () => {
    await moduleRef.close();
    await deleteKeys(prefix);
  });

  it('returns what the task returned', async () => {
    const queue = moduleRef.get(TaskQueues).get('default');
    const result = await queue.apply('send_welcome_email', { userId: 42 }, { timeout: 10 });
    expect(result).toEqual({ status: 'sent', userId: 42, to: 'user42@example.com' });
  });
});
