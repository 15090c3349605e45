import { TaskQueueConfigError } from '../errors/index.js';
import type { MetricsRegistry } from '../interfaces/task-queue-metrics-options.interface.js';
import type { TaskQueueConfig } from '../task-queue.config.js';
import { metricsMessages } from './metrics.messages.js';
import type { TaskRunOutcome } from '../worker/run-outcome.js';

export type { TaskRunOutcome } from '../worker/run-outcome.js';

/** @internal Upper bounds of the duration histogram's buckets, in seconds. */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900,
];

/** @internal The statuses the jobs gauge reports (finished jobs: the histogram counts them). */
export const GAUGE_STATUSES = ['queued', 'scheduled', 'active', 'failed'] as const;

/** @internal One queue as a scrape reads it: jobs by status, and workers connected. */
export interface QueueCounts {
  queue: string;
  counts: Record<(typeof GAUGE_STATUSES)[number], number>;
  workers: number;
}

/** @internal Reads the queues of one application; never rejects (no answer: no queues). */
export type QueueCountsSource = () => Promise<QueueCounts[]>;

/** @internal The module's metrics in one registry, shared by the applications that use it. */
export interface JobMetrics {
  readonly registry: MetricsRegistry;
  /** Records one finished run. */
  observe(queue: string, task: string, outcome: TaskRunOutcome, seconds: number): void;
  /** Adds an application's queues to the gauges, read at each scrape; returns its removal. */
  addSource(source: QueueCountsSource): () => void;
}

/** @internal Why an application has no metrics: said by `TaskQueueMetrics.prometheus()`. */
export interface NoJobMetrics {
  readonly unavailable: string;
}

type PromClient = typeof import('prom-client');

/**
 * What the gauges of a registry read: the sources of every application sharing them. Kept on
 * the jobs gauge under a global symbol, so that applications (and copies of this package) that
 * find the gauge in their registry add their queues to it instead of registering it again.
 */
interface GaugeHub {
  sources: Set<QueueCountsSource>;
  /** One read per scrape, whichever gauge collects first. */
  read(): Promise<QueueCounts[]>;
}
const HUB = Symbol.for('nestjs-task-queue:gauge-hub');
type WithHub = { [HUB]?: GaugeHub };

const NAMES = {
  duration: 'task_queue_job_duration_seconds',
  jobs: 'task_queue_jobs',
  workers: 'task_queue_workers',
};

/**
 * @internal Loads prom-client and finds or makes the module's metrics in the configured
 * registry. Without prom-client, metrics are off (unless a registry was given: then it is a
 * bootstrap error); a metric of the same name but another type or labels is one too.
 */
export async function loadJobMetrics(config: TaskQueueConfig): Promise<JobMetrics | NoJobMetrics> {
  if (config.metrics === false) return { unavailable: metricsMessages.metricsOff() };
  let prom: PromClient;
  try {
    prom = await import('prom-client');
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    if (config.metrics.registry === undefined) {
      return { unavailable: metricsMessages.promClientMissing(problem) };
    }
    throw new TaskQueueConfigError(metricsMessages.promClientNeeded(problem), { cause: error });
  }
  const registry = config.metrics.registry ?? prom.register;
  const registers = [registry as InstanceType<PromClient['Registry']>];
  const duration =
    existing(registry, NAMES.duration, 'histogram', ['queue', 'task', 'outcome']) ??
    new prom.Histogram({
      name: NAMES.duration,
      help:
        'Run time of finished jobs, by queue, task and outcome (completed, failed, retrying, ' +
        'aborted; sleeping and waiting for executions that suspended their job).',
      labelNames: ['queue', 'task', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
  const hub = gaugeHub(prom, registry, registers);
  return {
    registry,
    observe: (queue, task, outcome, seconds) =>
      (duration as { observe(labels: object, value: number): void }).observe(
        { queue, task, outcome },
        seconds,
      ),
    addSource: (source) => {
      hub.sources.add(source);
      return () => hub.sources.delete(source);
    },
  };
}

/** The gauges' hub in `registry`: theirs if another application made them, else new. */
function gaugeHub(
  prom: PromClient,
  registry: MetricsRegistry,
  registers: InstanceType<PromClient['Registry']>[],
): GaugeHub {
  const jobs = existing(registry, NAMES.jobs, 'gauge', ['queue', 'status']);
  const workers = existing(registry, NAMES.workers, 'gauge', ['queue']);
  const found = (jobs as WithHub | undefined)?.[HUB];
  if (found && workers) return found;
  if (jobs || workers) {
    const name = jobs ? NAMES.jobs : NAMES.workers;
    throw new TaskQueueConfigError(metricsMessages.metricClash(name, "this module's gauge"));
  }
  const sources = new Set<QueueCountsSource>();
  let reading: Promise<QueueCounts[]> | undefined;
  const hub: GaugeHub = {
    sources,
    read: () =>
      (reading ??= Promise.all([...sources].map((source) => source()))
        .then((all) => all.flat())
        .finally(() => (reading = undefined))),
  };
  const jobsGauge = new prom.Gauge({
    name: NAMES.jobs,
    help: 'Jobs in the queue by status (queued, scheduled, active, failed), read at each scrape.',
    labelNames: ['queue', 'status'],
    registers,
    async collect() {
      const queues = await hub.read();
      jobsGauge.reset();
      for (const { queue, counts } of queues) {
        for (const status of GAUGE_STATUSES) jobsGauge.set({ queue, status }, counts[status]);
      }
    },
  });
  const workersGauge = new prom.Gauge({
    name: NAMES.workers,
    help: 'Workers connected to the queue, in every process, read at each scrape.',
    labelNames: ['queue'],
    registers,
    async collect() {
      const queues = await hub.read();
      workersGauge.reset();
      for (const { queue, workers: count } of queues) workersGauge.set({ queue }, count);
    },
  });
  Object.defineProperty(jobsGauge, HUB, { value: hub });
  return hub;
}

/**
 * The metric `name` of `registry` when it has the type and labels the module's has (another
 * application made it), `undefined` when there is none; a clash is an error.
 */
function existing(
  registry: MetricsRegistry,
  name: string,
  type: string,
  labelNames: string[],
): object | undefined {
  const found = registry.getSingleMetric(name) as
    { type?: unknown; labelNames?: unknown } | undefined;
  if (found === undefined) return undefined;
  const labels: unknown[] = Array.isArray(found.labelNames) ? found.labelNames : [];
  const same =
    found.type === type &&
    labels.length === labelNames.length &&
    labelNames.every((label) => labels.includes(label));
  if (!same) {
    const wanted = `a ${type} with the labels ${labelNames.join(', ')}`;
    throw new TaskQueueConfigError(metricsMessages.metricClash(name, wanted));
  }
  return found;
}
