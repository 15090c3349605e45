import { Logger, type LogLevel } from '@nestjs/common';
import type { TaskQueueMetrics } from '../observability/task-queue.metrics.js';
import { finishedOutcome, type RunFailure, type RunOutcome } from './run-outcome.js';
import type { RunListener } from './run-control.js';
import type { RunnableJob } from './runnable-job.js';

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
 * @internal Writes one line per finished run of a queue's worker (task, queue, job id, attempt,
 * duration, outcome), as text or as an object, and records its duration. A run put back on its
 * queue (by a shutdown, or `ctx.rateLimit()`) is not a run that finished.
 */
export class RunLog implements RunListener {
  constructor(
    private readonly queue: string,
    private readonly options: RunObserverOptions,
  ) {}

  ended(
    job: Pick<RunnableJob, 'id' | 'name' | 'data'>,
    runOutcome: RunOutcome,
    attempt: number,
    durationMs: number,
    failure: RunFailure | undefined,
  ): void {
    const outcome = finishedOutcome(runOutcome);
    if (outcome === undefined) return;
    const { queue, options } = this;
    options.metrics.observe(queue, job.name, outcome, durationMs / 1000);
    // A run that suspended its job (sleeping, waiting) ended as planned, as one that completed.
    const level: LogLevel =
      outcome === 'failed'
        ? 'error'
        : outcome === 'retrying' || outcome === 'aborted'
          ? 'warn'
          : 'log';
    // The line is built only when it will be written (`logger: false`, or levels without it).
    if (!Logger.isLevelEnabled(level)) return;
    // A suspension is no error: its line says when the job runs again instead.
    const resumeAt = failure?.resumeAt;
    const ending =
      resumeAt !== undefined
        ? { until: new Date(resumeAt).toISOString() }
        : failure
          ? { error: failure.reason }
          : {};
    const payload = options.logPayloads ? { payload: job.data } : {};
    if (options.jobLog === 'json') {
      options.logger[level]({
        event: 'job_finished',
        queue,
        task: job.name,
        jobId: job.id,
        attempt,
        outcome,
        durationSeconds: durationMs / 1000,
        ...ending,
        ...payload,
      });
      return;
    }
    const line = format({
      task: job.name,
      queue,
      job: job.id,
      attempt,
      duration_ms: durationMs,
      outcome,
      ...ending,
      ...payload,
    });
    options.logger[level](`Job finished: ${line}`);
  }
}
