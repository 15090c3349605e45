import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Task, TaskQueueMetrics, TaskQueues } from '../index.js';
import { TaskQueueTestingModule } from './index.js';

@Injectable()
class ReportTasks {
  @Task('build_report')
  async build(): Promise<void> {}
}

describe('TaskQueueMetrics under TaskQueueTestingModule', () => {
  it("serves the registry's text, the gauges counting the jobs kept in memory", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TaskQueueTestingModule.forRoot({ queues: ['reports'], defaultQueue: 'reports' })],
      providers: [ReportTasks],
    }).compile();
    await moduleRef.init();
    try {
      const queue = moduleRef.get(TaskQueues).get('reports');
      await queue.enqueue('build_report', {});
      await queue.enqueue('build_report', {});
      const text = await moduleRef.get(TaskQueueMetrics).prometheus();
      expect(text).toContain('task_queue_jobs{queue="reports",status="queued"} 2');
      expect(text).toContain('# TYPE task_queue_job_duration_seconds histogram');
    } finally {
      await moduleRef.close();
    }
  });
});
