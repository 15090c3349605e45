import { TaskQueueConfigError } from '../errors/task-queue-config.error.js';
import { TaskQueueExceptionFilter } from './task-queue.exception-filter.js';

describe('TaskQueueExceptionFilter options', () => {
  it.each([-1, 1.5, Number.NaN, '5'])('rejects retryAfter %p, naming the option', (value) => {
    const make = () => new TaskQueueExceptionFilter({ retryAfter: value as number });
    expect(make).toThrow(TaskQueueConfigError);
    expect(make).toThrow(/option 'retryAfter' is .*; expected a whole number of seconds/);
  });

  it('takes whole seconds from 0 up, and no options at all', () => {
    expect(() => new TaskQueueExceptionFilter({ retryAfter: 0 })).not.toThrow();
    expect(() => new TaskQueueExceptionFilter()).not.toThrow();
  });
});
