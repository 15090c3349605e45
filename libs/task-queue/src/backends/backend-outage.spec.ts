import { describe, expect, it } from '@jest/globals';
import { describeBackend, withoutPassword } from './backend-address.js';
import { BackendOutage } from './backend-outage.js';

function tracked() {
  const lines: string[] = [];
  let now = 0;
  const logger = {
    log: (m: string) => lines.push(`log ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
  };
  const outage = new BackendOutage(logger, 'Redis at redis://127.0.0.1:6380', () => now);
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
        /^error Redis at redis:\/\/127\.0\.0\.1:6380 is not reachable \(Redis connection \(worker\): connect ECONNREFUSED/,
      ),
      expect.stringMatching(/^warn Redis at .* still not reachable after 60\.\d s/),
      expect.stringMatching(/^warn Redis at .* still not reachable after 120\.\d s/),
      expect.stringMatching(
        /^log Redis at redis:\/\/127\.0\.0\.1:6380 reachable again after 150\.0 s\.$/,
      ),
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

describe('describeBackend', () => {
  it('names the backend and where it is, never with its password', () => {
    expect(withoutPassword('redis://:s3cret@10.0.0.5:6379/2')).toBe(
      'redis://:****@10.0.0.5:6379/2',
    );
    expect(withoutPassword('redis://10.0.0.5:6379')).toBe('redis://10.0.0.5:6379');
    const redis = { kind: 'redis', prefix: 'bull' } as const;
    expect(describeBackend({ ...redis, connection: 'redis://u:pw@h:1' })).toBe(
      'Redis at redis://u:****@h:1',
    );
    expect(describeBackend({ ...redis, connection: { host: 'h', password: 'pw' } })).toBe(
      'Redis at h:6379',
    );
    expect(
      describeBackend({
        ...redis,
        connection: { cluster: { nodes: [{ host: 'a', port: 7000 }] } },
      }),
    ).toBe('Redis Cluster at a:7000');
    expect(
      describeBackend({
        kind: 'postgres',
        source: { url: 'postgres://app:pw@db:5432/app' },
        schema: 'bullmq',
      }),
    ).toBe('PostgreSQL at postgres://app:****@db:5432/app');
    expect(
      describeBackend({
        kind: 'postgres',
        source: { config: { host: 'db', password: 'pw', database: 'app' } },
        schema: 'bullmq',
      }),
    ).toBe('PostgreSQL at db:5432/app');
    expect(describeBackend({ kind: 'pglite', source: {}, schema: 'bullmq' })).toBe(
      'PGlite in memory',
    );
  });
});
