// The README's end-to-end example, run for real: keep the two the same.
import type { TestingModule } from '@nestjs/testing';
import { TaskQueues } from '@app/task-queue';
import { UsersModule } from '../src/users/users.module.js';
import { testBackend } from './support/backend.js';
import { startTaskApp } from './support/task-app.js';

describe('send_welcome_email on a worker', () => {
  let moduleRef: TestingModule;

  beforeAll(async () => {
    moduleRef = await startTaskApp({ backend: testBackend('users'), imports: [UsersModule] });
  });

  it('returns what the task returned', async () => {
    const queue = moduleRef.get(TaskQueues).get('default');
    const result = await queue.apply('send_welcome_email', { userId: 42 }, { timeout: 10 });
    expect(result).toEqual({ status: 'sent', userId: 42, to: 'user42@example.com' });
  });
});
