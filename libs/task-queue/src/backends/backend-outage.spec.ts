import { describe, expect, it } from '@jest/globals';
import { BackendOutage } from './backend-outage.js';

function tracked() {
  const lines: string[] = [];
  let now = 0;
  const logger = {
    log: (m: string) => lines.push(`log ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
  };
  const outage = new BackendOutage(logger, 'Redis at 127.0.0.1:6380', () => now);
  return { lines, outage, advance: (ms: number) => (now += ms) };
}

describe('BackendOutage', () => {
  it('writes one line when an outage starts, a reminder a minute at most, one when it ends', () => {
    const { lines, outage, advance } = tracked();
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6380');
    // Thirteen failed reconnects a second for two and a half minutes.
    for (let i = 0; i < 13 * 150; i++) {
      outage.failed(i % 2 ? "Worker 'a'" : 'Redis connection (worker)', refused);
      advance(1000 / 13);
    }
    outage.reachable();
    outage.reachable();
    expect(lines).toEqual([
      expect.stringMatching(
        /^error Redis at 127\.0\.0\.1:6380 is not reachable \(Redis connection \(worker\): connect ECONNREFUSED/,
      ),
      expect.stringMatching(/^warn Redis at .* still not reachable after 60\.\d s/),
      expect.stringMatching(/^warn Redis at .* still not reachable after 120\.\d s/),
      expect.stringMatching(/^log Redis at 127\.0\.0\.1:6380 reachable again after 150\.0 s\.$/),
    ]);
  });

  it('tells its listeners when the backend is back, after an outage or a dropped connection', () => {
    const { lines, outage } = tracked();
    let back = 0;
    const stop = outage.onBack(() => back++);
    outage.failed("Queue 'a'", new Error('down'));
    outage.reachable();
    outage.reconnected();
    stop();
    outage.reconnected();
    expect(back).toBe(2);
    expect(lines).toHaveLength(2);
  });
});
