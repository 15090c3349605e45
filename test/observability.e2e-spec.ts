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

/** The samples of a Prometheus text, by name and labels (spaces removed). */
function samplesOf(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (sample)
      samples.set(`${sample[1]}${(sample[2] ?? '').replace(/\s/g, '')}`, Number(sample[3]));
  }
  return samples;
}

describe(`the example app's /health and /metrics on ${BACKEND}`, () => {
  it('/health reports the backend reachable and the workers; /metrics counts the jobs run', async () => {
    const app = startBuilt('main', [], { ...backend.env, PORT: '0' });
    const [, baseUrl] = await app.waitForOutput(/Listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);

    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(200);
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
    const samples = await eventually(async () => {
      const metrics = await fetch(`${baseUrl}/metrics`);
      expect(metrics.status).toBe(200);
      const parsed = samplesOf(await metrics.text());
      return parsed.get('bullmq_job_count{queue="default",state="completed"}') === 3
        ? parsed
        : undefined;
    }, 20_000);
    const series = 'queue="default",task="process_data",outcome="completed"';
    expect(samples.get(`task_queue_job_duration_seconds_count{${series}}`)).toBe(3);
    expect(samples.get('bullmq_job_count{queue="emails",state="completed"}')).toBe(0);
    expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 120_000);
});
