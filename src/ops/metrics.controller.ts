import { Controller, Get, Header } from '@nestjs/common';
import { TaskQueueMetrics } from '@app/task-queue';

/** `GET /metrics`: prom-client's default registry as Prometheus text (run durations, queue gauges). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: TaskQueueMetrics) {}

  @Get()
  @Header('content-type', TaskQueueMetrics.contentType)
  prometheus(): Promise<string> {
    return this.metrics.prometheus();
  }
}
