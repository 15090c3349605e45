import { Controller, Get, Header } from '@nestjs/common';
import { TaskQueueMetrics } from '@app/task-queue';

/** `GET /metrics`: job counts by queue and state, and run durations, as Prometheus text. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: TaskQueueMetrics) {}

  @Get()
  @Header('content-type', TaskQueueMetrics.contentType)
  prometheus(): Promise<string> {
    return this.metrics.prometheus();
  }
}
