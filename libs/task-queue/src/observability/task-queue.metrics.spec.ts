import type { Queue } from 'bullmq';
import { TaskQueueMetrics } from './task-queue.metrics.js';
import type { TaskQueues } from '../producer/task-queues.service.js';
import type { QueueBackend } from '../backends/queue-backend.js';

/** Two queues whose BullMQ export is what BullMQ 6.7 writes, without Redis. */
const exportOf = (name: string) =>
  [
    '# HELP bullmq_job_count Number of jobs in the queue by state',
    '# TYPE bullmq_job_count gauge',
    `bullmq_job_count{queue="${name}", state="completed"} 2`,
    '# HELP bullmq_job_completed_total Total number of completed jobs',
    '# TYPE bullmq_job_completed_total counter',
    `bullmq_job_completed_total{queue="${name}"} 2`,
  ].join('\n');

const queues = { names: () => ['default', 'emails'] } as unknown as TaskQueues;
const backend = {
  hasQueues: true,
  queue: (name: string) =>
    ({ exportPrometheusMetrics: async () => exportOf(name) }) as unknown as Queue,
} as unknown as QueueBackend;

describe('TaskQueueMetrics', () => {
  it('declares each family once across queues and adds the duration histogram', async () => {
    const metrics = new TaskQueueMetrics(queues, backend);
    metrics.observe('default', 'send_email', 'completed', 0.03);
    metrics.observe('default', 'send_email', 'completed', 2);
    metrics.observe('emails', 'send "x"', 'failed', 0.2);
    const text = await metrics.prometheus();
    const lines = text.trimEnd().split('\n');

    expect(lines.filter((line) => line === '# TYPE bullmq_job_count gauge')).toHaveLength(1);
    const counts = lines.filter((line) => line.startsWith('bullmq_job_count{'));
    expect(counts).toEqual([
      'bullmq_job_count{queue="default", state="completed"} 2',
      'bullmq_job_count{queue="emails", state="completed"} 2',
    ]);
    // Samples follow their own family's declaration.
    expect(lines.indexOf(counts[1])).toBeLessThan(
      lines.indexOf('# TYPE bullmq_job_completed_total counter'),
    );

    const series = 'queue="default",task="send_email",outcome="completed"';
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE task_queue_job_duration_seconds histogram',
        `task_queue_job_duration_seconds_bucket{${series},le="0.025"} 0`,
        `task_queue_job_duration_seconds_bucket{${series},le="0.05"} 1`,
        `task_queue_job_duration_seconds_bucket{${series},le="2.5"} 2`,
        `task_queue_job_duration_seconds_bucket{${series},le="+Inf"} 2`,
        `task_queue_job_duration_seconds_sum{${series}} 2.03`,
        `task_queue_job_duration_seconds_count{${series}} 2`,
        // Label values are escaped.
        'task_queue_job_duration_seconds_count{queue="emails",task="send \\"x\\"",outcome="failed"} 1',
      ]),
    );
    expect(text.endsWith('\n')).toBe(true);
  });
});
