// Scenario 7: a Redis that may evict keys is reported at startup.
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Task, TaskQueueModule, TaskQueues } from '@app/task-queue';
import { privateRedis, report, type PrivateRedis } from './support.js';

@Injectable()
class PolicyTasks {
  @Task()
  async noop() {
    return 'ok';
  }
}

/** Boots and closes an application on `url`; returns what it logged as warnings and errors. */
async function bootAndClose(url: string): Promise<{ warnings: string[]; errors: string[] }> {
  const warnings: string[] = [];
  const errors: string[] = [];
  @Module({ imports: [TaskQueueModule.forRoot({ connection: url })], providers: [PolicyTasks] })
  class PolicyModule {}
  const app = await Test.createTestingModule({ imports: [PolicyModule] })
    .setLogger({
      log() {},
      warn: (message: string) => warnings.push(String(message)),
      error: (message: string) => errors.push(String(message)),
    })
    .compile();
  await app.init();
  try {
    expect(await app.get(TaskQueues).get('default').apply('noop', {}, { timeout: 10 })).toBe('ok');
  } finally {
    // Shutting down waits for the check, so what it logs is in by now.
    await app.close();
  }
  return { warnings, errors };
}

describe('scenario 7: maxmemory-policy', () => {
  const servers: PrivateRedis[] = [];
  const figures: Record<string, string> = {};

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.destroy()));
    report('7. maxmemory-policy', figures);
  });

  it('warns at startup when the policy is not noeviction, naming it and the fix', async () => {
    const redis = await privateRedis(['--maxmemory-policy', 'allkeys-lru']);
    servers.push(redis);
    const { warnings } = await bootAndClose(redis.url);
    const warning = warnings.find((w) => w.includes('maxmemory-policy'));
    expect(warning).toBe(
      "Redis runs with maxmemory-policy 'allkeys-lru': when it fills up it may evict BullMQ's " +
        "keys and jobs are lost. Set 'maxmemory-policy noeviction' in redis.conf (or CONFIG SET " +
        'maxmemory-policy noeviction).',
    );
    figures['allkeys-lru'] = 'warned';

    await redis.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    const after = await bootAndClose(redis.url);
    expect(after.warnings.filter((w) => w.includes('maxmemory-policy'))).toEqual([]);
    figures.noeviction = 'silent';
  });

  it('says nothing when CONFIG is disabled, and works as usual', async () => {
    const redis = await privateRedis([
      '--maxmemory-policy',
      'volatile-lru',
      '--rename-command',
      'CONFIG',
      '',
    ]);
    servers.push(redis);
    const { warnings, errors } = await bootAndClose(redis.url);
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
    figures['CONFIG disabled'] = 'silent, jobs run';
  });
});
