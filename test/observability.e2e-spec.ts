// GET /health and GET /metrics of the built example (API and workers in one process) on each
// backend. What an outage does to them is health-metrics.e2e-spec.ts's business (on Redis).
import { BACKEND, testBackend } from './support/backend.js';
import { killAllBuilt, startBuilt } from './support/built-app.js';
import { eventually } from './support/redis.js';

const backend = testBackend('observability');

afterAll(async () => {
  await killAllBuilt();
  await backend.cleanup();
});

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

describe(`the example app's /health and /metrics on ${BACKEND}`, () => {
  it('/health reports the backend reachable and the workers; /metrics counts the jobs run', async () => {
    const app = startBuilt('main', [], { ...backend.env, PORT: '0' });
    const [, baseUrl] = await app.waitForOutput(
      /Listening on (http:\/\/127\.0\.0\.1:\d+)/,
      120_000,
    );

    // The workers start taking jobs a moment after the app listens (once the backend is ready
    // and the schedules are reconciled); /health answers 503 until they do.
    const health = await eventually(
      async () => {
        const answer = await fetch(`${baseUrl}/health`);
        return answer.status === 200 ? answer : undefined;
      },
      10_000,
      '/health to answer 200',
    );
    expect(await health.json()).toEqual({
      healthy: true,
      backend: { kind: BACKEND, reachable: true },
      ...(BACKEND === 'redis' ? { redis: { reachable: true } } : {}),
      queues: { default: { workers: 1 }, emails: { workers: 1 } },
    });

    for (const userId of [1, 2, 3]) {
      const accepted = await fetch(`${baseUrl}/process`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId }),
      });
      expect(accepted.status).toBe(202);
    }
    const series = 'queue="default",task="process_data",outcome="completed"';
    const { samples, declared } = await eventually(async () => {
      const metrics = await fetch(`${baseUrl}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const parsed = parsePrometheus(await metrics.text());
      return parsed.samples.get(`task_queue_job_duration_seconds_count{${series}}`) === 3
        ? parsed
        : undefined;
    }, 20_000);
    expect(declared.get('task_queue_job_duration_seconds')).toBe('histogram');
    expect(samples.get(`task_queue_job_duration_seconds_bucket{le="+Inf",${series}}`)).toBe(3);
    expect(samples.get(`task_queue_job_duration_seconds_sum{${series}}`)).toBeGreaterThan(0);
    // Read from the backend at the scrape: nothing left waiting, each queue's worker connected.
    expect(declared.get('task_queue_jobs')).toBe('gauge');
    for (const status of ['queued', 'active', 'failed']) {
      expect(samples.get(`task_queue_jobs{queue="default",status="${status}"}`)).toBe(0);
    }
    // The next tick of the example's scheduled task cleanup_old_records waits there.
    expect(samples.get('task_queue_jobs{queue="default",status="scheduled"}')).toBeGreaterThan(0);
    expect(samples.get('task_queue_workers{queue="default"}')).toBe(1);
    expect(samples.get('task_queue_workers{queue="emails"}')).toBe(1);
    // No counter that reads 0 while jobs completed (BullMQ's own, fed only when it collects).
    expect([...declared.keys()].filter((name) => name.startsWith('bullmq_'))).toEqual([]);
    expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 180_000);
});
