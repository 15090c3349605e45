import { Logger, type LogLevel } from '@nestjs/common';
import type { Job, Worker } from 'bullmq';
import { ABORTED_REASON } from '../task-queue.constants.js';
import type { TaskQueueMetrics, TaskRunOutcome } from '../observability/task-queue.metrics.js';

interface RunObserverOptions {
  logger: Logger;
  metrics: TaskQueueMetrics;
  logPayloads: boolean;
  /** `json`: the line is an object, for JSON loggers to write as one JSON line. */
  jobLog: 'text' | 'json';
}

/** `key=value` fields; values with spaces, quotes or `=` are JSON-quoted. */
const format = (fields: Record<string, unknown>) =>
  Object.entries(fields)
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`;
    })
    .join(' ');

/**
 * @internal Writes one line per finished run of `worker` (task, queue, job id, attempt,
 * duration, outcome), as text or as an object, and records its duration. Listens to the
 * worker's events, so the processor stays as it is; a run put back by a shutdown emits neither
 * event and is not a run that finished.
 */
export function observeRuns(worker: Worker, queue: string, options: RunObserverOptions): void {
  const finished = (job: Job, outcome: TaskRunOutcome, error?: string) => {
    // processedOn and finishedOn are Redis timestamps; a retry has no finishedOn yet.
    const end = job.finishedOn || Date.now();
    const durationMs = Math.max(0, end - (job.processedOn ?? end));
    options.metrics.observe(queue, job.name, outcome, durationMs / 1000);
    const level: LogLevel =
      outcome === 'completed' ? 'log' : outcome === 'failed' ? 'error' : 'warn';
    // The line is built only when it will be written (`logger: false`, or levels without it).
    if (!Logger.isLevelEnabled(level)) return;
    const payload = options.logPayloads ? { payload: job.data as unknown } : {};
    if (options.jobLog === 'json') {
      options.logger[level]({
        event: 'job_finished',
        queue,
        task: job.name,
        jobId: job.id,
        attempt: job.attemptsMade,
        outcome,
        durationSeconds: durationMs / 1000,
        ...(error === undefined ? {} : { error }),
        ...payload,
      });
      return;
    }
    const line = format({
      task: job.name,
      queue,
      job: job.id,
      attempt: job.attemptsMade,
      duration_ms: durationMs,
      outcome,
      ...(error === undefined ? {} : { error }),
      ...payload,
    });
    options.logger[level](`Job finished: ${line}`);
  };
  worker.on('completed', (job) => finished(job, 'completed'));
  worker.on('failed', (job, error) => {
    if (!job) return;
    const outcome: TaskRunOutcome =
      job.failedReason === ABORTED_REASON ? 'aborted' : job.finishedOn ? 'failed' : 'retrying';
    finished(job, outcome, error.message);
  });
}
