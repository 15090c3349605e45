// GET /health and GET /metrics of the built example (API and workers in one process) through a
// Redis outage, on a private redis-server that the test stops and starts again: the shared Redis
// is never touched. /health and /metrics on every backend: observability.e2e-spec.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type RedisServer } from '../scripts/redis-launcher.js';
import { killAllBuilt, startBuilt } from './support/built-app.js';
import { freePort } from './support/processes.js';
import { eventually } from './support/redis.js';

let redis: RedisServer | undefined;
let port: number;
const dir = mkdtempSync(join(tmpdir(), 'tq-health-'));

/** A redis-server of this test's own on `port`: no persistence, files in a temporary folder. */
async function startRedis() {
  redis = await startRedisServer({ port, dir });
}

async function stopRedis() {
  await redis?.stop();
  redis = undefined;
}

/** Polls `GET /health` until it answers `status`. */
function healthAnswering(baseUrl: string, status: number, timeoutMs: number) {
  return eventually(
    async () => {
      const answer = await get(baseUrl, '/health');
      return answer.status === status ? answer : undefined;
    },
    timeoutMs,
    `/health to answer ${status}`,
  );
}

async function get(baseUrl: string, path: string) {
  const response = await fetch(`${baseUrl}${path}`);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    text: await response.text(),
  };
}

beforeAll(async () => {
  port = await freePort();
  await startRedis();
});

afterAll(async () => {
  await killAllBuilt();
  await stopRedis();
  rmSync(dir, { recursive: true, force: true });
});

const COMPLETED =
  'task_queue_job_duration_seconds_count{queue="default",task="process_data",outcome="completed"} 1';
const GAUGES_LEFT_OUT = /queue gauges are left out of scrapes while Redis does not answer/g;

describe('the example app: /health and /metrics through a Redis outage', () => {
  it('/health is 503 within 5 s of Redis stopping, 200 once it is back; /metrics always 200', async () => {
    const app = startBuilt('main', [], { REDIS_URL: `redis://127.0.0.1:${port}`, PORT: '0' });
    const [, baseUrl] = await app.waitForOutput(
      /Listening on (http:\/\/127\.0\.0\.1:\d+)/,
      // The boot's length is not under test; on a busy machine it can be long.
      90_000,
    );

    const healthy = await healthAnswering(baseUrl, 200, 10_000);
    expect(JSON.parse(healthy.text)).toEqual({
      healthy: true,
      backend: { kind: 'redis', reachable: true },
      redis: { reachable: true },
      queues: { default: { workers: 1 }, emails: { workers: 1 } },
    });

    const accepted = await fetch(`${baseUrl}/process`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 1 }),
    });
    expect(accepted.status).toBe(202);
    await eventually(
      async () => (await get(baseUrl, '/metrics')).text.includes(COMPLETED) || undefined,
      20_000,
      'the run counted in /metrics',
    );

    await stopRedis();
    const stopped = Date.now();
    const down = await healthAnswering(baseUrl, 503, 5000);
    expect(Date.now() - stopped).toBeLessThan(5000);
    expect(JSON.parse(down.text)).toMatchObject({
      healthy: false,
      backend: { kind: 'redis', reachable: false },
      redis: { reachable: false },
      queues: { default: { workers: null }, emails: { workers: null } },
    });

    // A scrape still answers: the histogram served, the gauges (read from Redis) left out, and
    // the outage said once however many scrapes meet it.
    for (let scrape = 0; scrape < 2; scrape++) {
      const metrics = await get(baseUrl, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain(COMPLETED);
      expect(metrics.text).not.toMatch(/^task_queue_(jobs|workers)\{/m);
    }
    expect(app.output().match(GAUGES_LEFT_OUT)).toHaveLength(1);

    await startRedis();
    const back = await healthAnswering(baseUrl, 200, 20_000);
    expect(JSON.parse(back.text)).toMatchObject({ healthy: true, redis: { reachable: true } });
    const metrics = await get(baseUrl, '/metrics');
    expect(metrics.text).toContain(COMPLETED);
    expect(metrics.text).toContain('task_queue_workers{queue="default"} 1');
    expect(app.output()).toMatch(/Redis answers again; queue gauges served/);
    expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 180_000);
});
