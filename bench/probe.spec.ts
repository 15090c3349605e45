import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { probe } from './probe.js';

// Fake timers: `performance.now()` and the cap's timer move only when the test says so.
describe('the probe counting job starts', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    probe.cancel('test over');
    jest.useRealTimers();
  });

  it('resolves at the nth start, timed from the first to the last', async () => {
    const counted = probe.countUpTo(3, undefined, 5000);
    probe.hit();
    jest.advanceTimersByTime(20);
    probe.hit();
    probe.hit();
    await expect(counted).resolves.toMatchObject({ jobs: 3, ms: 20 });
  });

  it('stops at the cap after the first start, with the starts seen until then', async () => {
    const counted = probe.countUpTo(1000, 60, 5000);
    probe.hit();
    jest.advanceTimersByTime(10);
    probe.hit();
    jest.advanceTimersByTime(10);
    probe.hit();
    jest.advanceTimersByTime(100);
    // The time to the last start, not to the cap.
    await expect(counted).resolves.toMatchObject({ jobs: 3, ms: 20 });
  });

  it('waits past the cap for a second start: a rate needs two', async () => {
    const counted = probe.countUpTo(1000, 20, 5000);
    probe.hit();
    jest.advanceTimersByTime(60);
    probe.hit();
    await expect(counted).resolves.toMatchObject({ jobs: 2, ms: 60 });
  });

  it('rejects a count that is cancelled', async () => {
    const counted = probe.countUpTo(10, 100, 5000);
    probe.hit();
    probe.cancel('the measurement ended');
    await expect(counted).rejects.toThrow('the measurement ended');
  });
});
