import { describe, expect, it } from '@jest/globals';
import { TaskQueueConfigError } from '../errors/index.js';
import { resolveConfig } from '../task-queue.config.js';

const options = { queues: { default: {}, emails: { concurrency: 3 } } };

describe("runWorker's settings over the module's `worker` option", () => {
  it('run workers where the module says worker: false', () => {
    const config = resolveConfig({ ...options, worker: false }, undefined, {});
    expect(config.workerQueues).toEqual(['default', 'emails']);
    expect([...config.queues]).toEqual([
      ['default', 10],
      ['emails', 3],
    ]);
  });

  it('pick the queues and the concurrency, whatever `worker` names', () => {
    const worker = { queues: ['default'], concurrency: 2 };
    const config = resolveConfig({ ...options, worker }, undefined, {
      queues: ['emails'],
      concurrency: 7,
    });
    expect(config.workerQueues).toEqual(['emails']);
    expect(config.queues.get('emails')).toBe(7);
    expect(config.queues.get('default')).toBe(10);
  });

  it('false (the CLI): no workers where the module says worker: true', () => {
    expect(resolveConfig({ ...options, worker: true }, undefined, false).workerQueues).toEqual([]);
  });

  it('an unknown queue: an error naming runWorker and the configured queues', () => {
    expect(() => resolveConfig(options, undefined, { queues: ['nope'] })).toThrow(
      new TaskQueueConfigError(
        "runWorker: queues names 'nope', which is not a configured queue ('default', " +
          "'emails'). Pick queues from TaskQueueModule's 'queues' (the CLI's worker --queues), " +
          'or add it there.',
      ),
    );
  });

  it('absent: the module option decides, as before', () => {
    expect(resolveConfig({ ...options, worker: false }).workerQueues).toEqual([]);
    expect(() => resolveConfig({ ...options, worker: { queues: ['nope'] } })).toThrow(
      "TaskQueueModule: worker.queues names 'nope'",
    );
  });
});
