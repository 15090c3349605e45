import { Injectable } from '@nestjs/common';
import { QueueBackend } from '../backends/queue-backend.js';
import { TaskQueues } from '../producer/task-queues.service.js';

/** How a run ended, as the finished-job log line and the duration histogram name it. */
export type TaskRunOutcome = 'completed' | 'failed' | 'retrying' | 'aborted';

/** Upper bounds of the duration histogram's buckets, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

const DURATION = 'task_queue_job_duration_seconds';

interface Series {
  labels: string;
  /** Runs per bucket, not cumulative: one increment per run; summed up when exported. */
  counts: number[];
  sum: number;
  count: number;
}

type Outcomes = Partial<Record<TaskRunOutcome, Series>>;

/** Escapes a label value as the Prometheus text format requires. */
const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * Prometheus metrics of this application's queues: job counts by queue and state (BullMQ's
 * exporter, read from the backend, so any process sees every worker's jobs) and a histogram of run
 * durations by queue, task and outcome, recorded by the workers of this process.
 *
 * @example
 * ```ts
 * @Get('metrics')
 * @Header('content-type', TaskQueueMetrics.contentType)
 * metrics() {
 *   return this.metrics.prometheus();
 * }
 * ```
 */
@Injectable()
export class TaskQueueMetrics {
  /** Content type of {@link prometheus}'s text: Prometheus exposition format 0.0.4. */
  static readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  /** By queue, then task, then outcome: no label string is built per run. */
  private readonly durations = new Map<
    string,
    Map<string, Partial<Record<TaskRunOutcome, Series>>>
  >();

  /** @internal Made by Nest: inject it. */
  constructor(
    private readonly taskQueues: TaskQueues,
    private readonly backend: QueueBackend,
  ) {}

  /** @internal Records one finished run of a task. */
  observe(queue: string, task: string, outcome: TaskRunOutcome, seconds: number): void {
    let tasks = this.durations.get(queue);
    if (!tasks) this.durations.set(queue, (tasks = new Map<string, Outcomes>()));
    let outcomes = tasks.get(task);
    if (!outcomes) tasks.set(task, (outcomes = {}));
    const series = (outcomes[outcome] ??= {
      labels: `queue="${escapeLabel(queue)}",task="${escapeLabel(task)}",outcome="${outcome}"`,
      counts: BUCKETS.map(() => 0),
      sum: 0,
      count: 0,
    });
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]) bucket += 1;
    if (bucket < BUCKETS.length) series.counts[bucket] += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /**
   * Every metric in the Prometheus text format (under TaskQueueTestingModule, only the run
   * times: there are no queues to count).
   * @throws when the backend does not answer (the job counts are read from it).
   */
  async prometheus(): Promise<string> {
    const queues = this.backend.hasQueues ? this.taskQueues.names() : [];
    const exported = await Promise.all(
      queues.map((name) => this.backend.queue(name).exportPrometheusMetrics()),
    );
    return [...mergeFamilies(exported), ...this.histogram()].join('\n') + '\n';
  }

  private histogram(): string[] {
    const lines = [
      `# HELP ${DURATION} Run time of finished jobs in this process, by queue, task and outcome.`,
      `# TYPE ${DURATION} histogram`,
    ];
    const series = [...this.durations.values()].flatMap((tasks) =>
      [...tasks.values()].flatMap((outcomes) => Object.values(outcomes)),
    );
    for (const { labels, counts, sum, count } of series) {
      let cumulative = 0;
      BUCKETS.forEach((bound, index) => {
        cumulative += counts[index];
        lines.push(`${DURATION}_bucket{${labels},le="${bound}"} ${cumulative}`);
      });
      lines.push(`${DURATION}_bucket{${labels},le="+Inf"} ${count}`);
      lines.push(`${DURATION}_sum{${labels}} ${sum}`);
      lines.push(`${DURATION}_count{${labels}} ${count}`);
    }
    return lines;
  }
}

/**
 * BullMQ exports each queue with its own HELP and TYPE lines; a scrape may declare a metric
 * family only once, so the samples of all queues are grouped under one header per family.
 */
function mergeFamilies(exports: string[]): string[] {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  for (const text of exports) {
    let current: { header: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      const declared = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (declared) {
        const name = declared[2];
        const known = families.get(name);
        current = known ?? { header: [], samples: [] };
        if (!known) families.set(name, current);
        if (current.header.length < 2) current.header.push(line);
      } else if (line.trim() && current) {
        current.samples.push(line);
      }
    }
  }
  return [...families.values()].flatMap(({ header, samples }) => [...header, ...samples]);
}
