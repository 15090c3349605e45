import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { TaskQueueHealth, type TaskQueueHealthReport } from '@app/task-queue';

/** `GET /health`: 200 when the backend answers and every queue has a worker, else 503; JSON. */
@Controller('health')
export class HealthController {
  constructor(private readonly health: TaskQueueHealth) {}

  @Get()
  async check(): Promise<TaskQueueHealthReport> {
    const report = await this.health.check();
    // An HttpException with an object answers with exactly that object as the body.
    if (!report.healthy) throw new ServiceUnavailableException(report);
    return report;
  }
}
