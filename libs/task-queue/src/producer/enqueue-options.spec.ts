import { InvalidOptionsError } from '../errors/index.js';
import { applyWaitOf, toJobOptions } from './enqueue-options.js';

const base = Object.freeze({ attempts: 1, removeOnComplete: { count: 10 } });

describe('toJobOptions', () => {
  it("returns the task's own options, unchanged and uncopied, without enqueue options", () => {
    expect(toJobOptions('send', base, undefined)).toBe(base);
  });

  it('turns seconds into milliseconds and retries into attempts, on a copy', () => {
    const options = toJobOptions('send', base, { retries: 2, delay: 1.5, timeout: 0.25, key: 'k' });
    expect(options).toEqual({
      attempts: 3,
      removeOnComplete: { count: 10 },
      delay: 1500,
      taskTimeout: 250,
      deduplication: { id: 'k' },
    });
    expect(base).toEqual({ attempts: 1, removeOnComplete: { count: 10 } });
  });

  it.each([
    [{ retries: -1 }, /Task 'send'.*'retries' is -1; expected a whole number of extra attempts/],
    [{ retries: 1.5 }, /'retries' is 1\.5/],
    [{ delay: -2 }, /'delay' is -2; expected a number of seconds \(0 or more\)/],
    [{ delay: Number.NaN }, /'delay' is NaN/],
    [
      { timeout: Infinity },
      /'timeout' is Infinity; expected a number of seconds \(0 for no limit\)/,
    ],
    [{ key: 42 }, /'key' is 42; expected a string/],
  ])('rejects %p with an InvalidOptionsError saying what was expected', (options, message) => {
    const call = () => toJobOptions('send', base, options as never);
    expect(call).toThrow(InvalidOptionsError);
    expect(call).toThrow(message);
  });
});

describe('applyWaitOf', () => {
  it('takes a positive number of seconds', () => {
    expect(applyWaitOf('send', 0.5)).toBe(0.5);
  });

  it.each([0, -1, '10', Number.NaN])('refuses %p', (timeout) => {
    expect(() => applyWaitOf('send', timeout)).toThrow(
      /'timeout' .*expected a positive number of seconds to wait/,
    );
  });
});
