import { describe, expect, it } from '@jest/globals';
import { ActiveRuns } from './active-runs.js';

describe('ActiveRuns', () => {
  it('remembers an abort request for a job not running here, once, on its own queue only', () => {
    const active = new ActiveRuns();
    active.abort('emails', '3');
    expect(active.abortRequested('reports', '3')).toBe(false);
    expect(active.abortRequested('emails', '3')).toBe(true);
    expect(active.abortRequested('emails', '3')).toBe(false);
  });
});
