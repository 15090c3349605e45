import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { LocalTimers } from './local-timers.service.js';
import { ProcessClock, SystemClock } from './process-clock.js';

/** A clock that stands still until moved, with the timers it owes. */
class StillClock extends ProcessClock {
  time = Date.UTC(2026, 0, 1);
  private readonly due = new Map<NodeJS.Timeout, { at: number; run: () => void }>();
  private next = 0;

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): NodeJS.Timeout {
    const handle = { id: ++this.next } as unknown as NodeJS.Timeout;
    this.due.set(handle, { at: this.time + ms, run });
    return handle;
  }

  clearTimeout(handle: NodeJS.Timeout): void {
    this.due.delete(handle);
  }

  /** Moves the time on by `ms` and runs what is due by then. */
  advance(ms: number): void {
    this.time += ms;
    for (const [handle, { at, run }] of this.due) {
      if (at > this.time) continue;
      this.due.delete(handle);
      run();
    }
  }

  get armed(): number {
    return this.due.size;
  }
}

describe('LocalTimers on its ProcessClock', () => {
  let clock: StillClock;
  let timers: LocalTimers;
  const calls: string[] = [];

  beforeEach(() => {
    calls.length = 0;
    clock = new StillClock();
    timers = new LocalTimers(clock);
  });

  /** A one-off `@Cron(date)` of `Jobs.<name>`, `inMs` from the clock's now, that notes its run. */
  const addOneOff = (name: string, inMs: number) =>
    timers.add({
      where: `Jobs.${name}`,
      when: { at: new Date(clock.now() + inMs) },
      run: () => calls.push(name),
    });

  it('runs a @Cron(date) when the clock reaches it, not before, and once', () => {
    addOneOff('once', 60_000);
    timers.onApplicationBootstrap();
    clock.advance(59_999);
    expect(calls).toEqual([]);
    clock.advance(1);
    expect(calls).toEqual(['once']);
    clock.advance(60_000);
    expect(calls).toEqual(['once']);
  });

  it('runs a @Timeout its milliseconds after bootstrap, by the clock', () => {
    timers.add({ where: 'Jobs.warmUp', when: { afterMs: 50 }, run: () => calls.push('warmUp') });
    clock.advance(1000);
    timers.onApplicationBootstrap();
    clock.advance(49);
    expect(calls).toEqual([]);
    clock.advance(1);
    expect(calls).toEqual(['warmUp']);
  });

  it('never runs a date already past by the clock, and says so', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      addOneOff('missed', -1);
      timers.onApplicationBootstrap();
      expect(clock.armed).toBe(0);
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/^Jobs\.missed: @Cron\(.*\) is in the past/),
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('clears what is still armed at shutdown, on the same clock', () => {
    addOneOff('once', 1000);
    timers.onApplicationBootstrap();
    timers.beforeApplicationShutdown();
    expect(clock.armed).toBe(0);
    clock.advance(1000);
    expect(calls).toEqual([]);
  });

  it('is the system clock by default', () => {
    const system = new SystemClock();
    const before = Date.now();
    expect(system.now()).toBeGreaterThanOrEqual(before);
    expect(system.now()).toBeLessThanOrEqual(Date.now());
  });
});
