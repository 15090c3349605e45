import { describe, expect, it } from '@jest/globals';
import { Counter, Histogram, Registry } from 'prom-client';
import { TaskQueueConfigError } from '../errors/index.js';
import type { MetricsRegistry } from '../interfaces/task-queue-metrics-options.interface.js';
import { resolveConfig } from '../task-queue.config.js';
import { loadJobMetrics, type JobMetrics, type QueueCounts } from './job-metrics.js';

// A prom-client Registry is what the option's structural type describes.
const asOption: MetricsRegistry = new Registry();

const load = async (registry: Registry): Promise<JobMetrics> => {
  const made = await loadJobMetrics(resolveConfig({ metrics: { registry } }));
  if (!('observe' in made)) throw new Error(made.unavailable);
  return made;
};

/** Every sample of `registry`, as `name{labels} value` lines. */
async function samples(registry: Registry): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    const sample = /^(.+) (\S+)$/.exec(line);
    if (sample && !line.startsWith('#')) found.set(sample[1], Number(sample[2]));
  }
  return found;
}

const counts = (queue: string, queued: number, workers: number): QueueCounts => ({
  queue,
  counts: { queued, scheduled: 1, active: 2, failed: 3 },
  workers,
});

describe('loadJobMetrics', () => {
  it('records runs in the duration histogram by queue, task and outcome', async () => {
    const registry = new Registry();
    const metrics = await load(registry);
    metrics.observe('default', 'send_email', 'completed', 0.03);
    metrics.observe('default', 'send_email', 'completed', 2);
    metrics.observe('emails', 'send "x"', 'failed', 0.2);
    const found = await samples(registry);
    const series = 'queue="default",task="send_email",outcome="completed"';
    expect(found.get(`task_queue_job_duration_seconds_bucket{le="0.025",${series}}`)).toBe(0);
    expect(found.get(`task_queue_job_duration_seconds_bucket{le="0.05",${series}}`)).toBe(1);
    expect(found.get(`task_queue_job_duration_seconds_bucket{le="+Inf",${series}}`)).toBe(2);
    expect(found.get(`task_queue_job_duration_seconds_sum{${series}}`)).toBe(2.03);
    expect(found.get(`task_queue_job_duration_seconds_count{${series}}`)).toBe(2);
    // Label values escaped as the text format says.
    const failed = 'queue="emails",task="send \\"x\\"",outcome="failed"';
    expect(found.get(`task_queue_job_duration_seconds_count{${failed}}`)).toBe(1);
  });

  it('shares the metrics between applications of one registry, and drops a closed one', async () => {
    const registry = new Registry();
    const [first, second] = [await load(registry), await load(registry)];
    first.observe('default', 'work', 'completed', 0.1);
    second.observe('default', 'work', 'completed', 0.1);
    const removeFirst = first.addSource(async () => [counts('default', 5, 1)]);
    second.addSource(async () => [counts('reports', 7, 2)]);

    let found = await samples(registry);
    const series = 'queue="default",task="work",outcome="completed"';
    expect(found.get(`task_queue_job_duration_seconds_count{${series}}`)).toBe(2);
    expect(found.get('task_queue_jobs{queue="default",status="queued"}')).toBe(5);
    expect(found.get('task_queue_jobs{queue="reports",status="queued"}')).toBe(7);
    expect(found.get('task_queue_jobs{queue="reports",status="failed"}')).toBe(3);
    expect(found.get('task_queue_workers{queue="reports"}')).toBe(2);

    removeFirst();
    found = await samples(registry);
    expect(found.has('task_queue_jobs{queue="default",status="queued"}')).toBe(false);
    expect(found.get('task_queue_jobs{queue="reports",status="queued"}')).toBe(7);
    expect(found.get(`task_queue_job_duration_seconds_count{${series}}`)).toBe(2);
  });

  it('serves the histogram when a source has no answer (its gauges left out)', async () => {
    const registry = new Registry();
    const metrics = await load(registry);
    metrics.observe('default', 'work', 'failed', 1);
    metrics.addSource(async () => []);
    const found = await samples(registry);
    expect(
      found.get(
        'task_queue_job_duration_seconds_count{queue="default",task="work",outcome="failed"}',
      ),
    ).toBe(1);
    expect([...found.keys()].some((name) => name.startsWith('task_queue_jobs{'))).toBe(false);
  });

  it('refuses a registry whose metric of the same name is of another kind', async () => {
    const histogram = new Registry();
    new Histogram({
      name: 'task_queue_job_duration_seconds',
      help: 'x',
      labelNames: ['queue'],
      registers: [histogram],
    });
    await expect(load(histogram)).rejects.toThrow(
      /already has a metric 'task_queue_job_duration_seconds' that is not a histogram with the labels queue, task, outcome/,
    );
    const gauge = new Registry();
    new Counter({ name: 'task_queue_jobs', help: 'x', registers: [gauge] });
    await expect(load(gauge)).rejects.toThrow(TaskQueueConfigError);
  });

  it('is off with metrics: false, saying so', async () => {
    const made = await loadJobMetrics(resolveConfig({ metrics: false }));
    expect(made).toEqual({ unavailable: expect.stringContaining('metrics: false') });
    expect(asOption).toBeInstanceOf(Registry);
  });
});

describe('metrics and jobLog options', () => {
  it.each([
    [{ metrics: null }, "option 'metrics' is null; expected { registry? } or false"],
    [
      { metrics: { registry: {} } },
      "option 'metrics.registry' is {}; expected a prom-client Registry",
    ],
    [{ jobLog: 'xml' }, `option 'jobLog' is "xml"; expected 'text' or 'json'`],
  ])('%j is refused at bootstrap', (options, message) => {
    expect(() => resolveConfig(options as never)).toThrow(message);
  });

  it('defaults to text lines and the default registry', () => {
    expect(resolveConfig({})).toMatchObject({ jobLog: 'text', metrics: {} });
  });
});
