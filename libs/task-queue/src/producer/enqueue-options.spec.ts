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
    [{ priority: 0 }, /'priority' is 0; expected a whole number from 1 \(most urgent\) to 2097152/],
    [{ priority: 2_097_153 }, /'priority' is 2097153/],
    [{ priority: 1.5 }, /'priority' is 1\.5/],
    [{ priority: '1' }, /'priority' is "1"/],
    [{ key: 'k', keyTtl: 0 }, /'keyTtl' is 0; expected a positive number of seconds/],
    [{ key: 'k', keyTtl: -1 }, /'keyTtl' is -1/],
    [{ key: 'k', debounce: 'yes' }, /'debounce' is "yes"; expected true or false/],
  ])('rejects %p with an InvalidOptionsError saying what was expected', (options, message) => {
    const call = () => toJobOptions('send', base, options as never);
    expect(call).toThrow(InvalidOptionsError);
    expect(call).toThrow(message);
  });
});

describe('toJobOptions: priority and deduplication modes', () => {
  it('passes a priority as it is, over the task default', () => {
    expect(toJobOptions('send', { priority: 5 }, { priority: 1 }).priority).toBe(1);
    expect(toJobOptions('send', base, { priority: 2_097_151 }).priority).toBe(2_097_151);
  });

  it("puts 2 097 152 at BullMQ's lowest level, 2 097 151", () => {
    expect(toJobOptions('send', base, { priority: 2_097_152 }).priority).toBe(2_097_151);
  });

  it('makes a key alone last while its job is unfinished', () => {
    expect(toJobOptions('send', base, { key: 'k' }).deduplication).toEqual({ id: 'k' });
  });

  it('throttles with keyTtl: the key holds that long, in milliseconds', () => {
    expect(toJobOptions('send', base, { key: 'k', keyTtl: 2.5 }).deduplication).toEqual({
      id: 'k',
      ttl: 2500,
    });
  });

  it('debounces: replaces the delayed job and starts the key and the delay again', () => {
    const options = toJobOptions('send', base, { key: 'k', keyTtl: 1, delay: 1, debounce: true });
    expect(options.deduplication).toEqual({ id: 'k', ttl: 1000, extend: true, replace: true });
    expect(options.delay).toBe(1000);
  });

  it('takes debounce: false as no debounce', () => {
    expect(toJobOptions('send', base, { key: 'k', debounce: false }).deduplication).toEqual({
      id: 'k',
    });
  });

  it.each([
    [{ keyTtl: 5 }, /'keyTtl' is set without 'key'/],
    [{ debounce: true, keyTtl: 1, delay: 1 }, /'debounce' is set without 'key'/],
    [{ key: 'k', debounce: true, delay: 1 }, /'debounce' needs 'keyTtl'/],
    [{ key: 'k', debounce: true, keyTtl: 1 }, /'debounce' needs a 'delay'/],
    [{ key: 'k', debounce: true, keyTtl: 1, delay: 0 }, /'debounce' needs a 'delay'/],
  ])('refuses %p, saying which mode takes what', (options, message) => {
    const call = () => toJobOptions('send', base, options);
    expect(call).toThrow(InvalidOptionsError);
    expect(call).toThrow(message);
    expect(call).toThrow(/throttle with \{ key, keyTtl \}/);
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
