// GET /health and GET /metrics of the built example (API and workers in one process), on a
// private redis-server that the test stops and starts again: the shared Redis is never touched.
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

/** Checks the Prometheus text format: each family declared once, before its samples. */
function parsePrometheus(text: string) {
  const samples = new Map<string, number>();
  const declared = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type =
      /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(declared.has(type[1])).toBe(false);
      declared.set(type[1], type[2]);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
    expect({ line, parses: Boolean(sample) }).toEqual({ line, parses: true });
    const [, name, labels = ''] = sample!;
    const family = [...declared.keys()].find((f) => name === f || name.startsWith(`${f}_`));
    expect({ name, declared: Boolean(family) }).toEqual({ name, declared: true });
    samples.set(`${name}${labels.replace(/\s/g, '')}`, Number(sample![3]));
  }
  return { samples, declared };
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

describe('the example app: /health and /metrics', () => {
  it('/metrics counts the jobs run; /health is 503 within 5 s of Redis stopping, 200 once it is back', async () => {
    const app = startBuilt('main', [], { REDIS_URL: `redis://127.0.0.1:${port}`, PORT: '0' });
    const [, baseUrl] = await app.waitForOutput(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);

    const healthy = await healthAnswering(baseUrl, 200, 10_000);
    expect(JSON.parse(healthy.text)).toEqual({
      healthy: true,
      backend: { kind: 'redis', reachable: true },
      redis: { reachable: true },
      queues: { default: { workers: 1 }, emails: { workers: 1 } },
    });

    // Three jobs, to be counted.
    for (const userId of [1, 2, 3]) {
      const accepted = await fetch(`${baseUrl}/process`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId }),
      });
      expect(accepted.status).toBe(202);
    }
    const { samples, declared } = await eventually(async () => {
      const metrics = await get(baseUrl, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
      const parsed = parsePrometheus(metrics.text);
      return parsed.samples.get('bullmq_job_count{queue="default",state="completed"}') === 3
        ? parsed
        : undefined;
    });
    expect(declared.get('bullmq_job_count')).toBe('gauge');
    expect(declared.get('task_queue_job_duration_seconds')).toBe('histogram');
    expect(samples.get('bullmq_job_count{queue="emails",state="completed"}')).toBe(0);
    const series = 'queue="default",task="process_data",outcome="completed"';
    expect(samples.get(`task_queue_job_duration_seconds_count{${series}}`)).toBe(3);
    expect(samples.get(`task_queue_job_duration_seconds_bucket{${series},le="+Inf"}`)).toBe(3);
    expect(samples.get(`task_queue_job_duration_seconds_sum{${series}}`)).toBeGreaterThan(0);

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

    await startRedis();
    const back = await healthAnswering(baseUrl, 200, 20_000);
    expect(JSON.parse(back.text)).toMatchObject({ healthy: true, redis: { reachable: true } });
    expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 90_000);
});
