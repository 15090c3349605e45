import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { TaskQueues, type TaskJobInfo } from '@app/task-queue';

/** `GET /jobs/:queue/:id`: a job's status, result, error, attempts and progress. */
@Controller('jobs')
export class JobsController {
  constructor(private readonly taskQueues: TaskQueues) {}

  @Get(':queue/:id')
  async getJob(@Param('queue') queue: string, @Param('id') id: string): Promise<TaskJobInfo> {
    // An unknown queue throws UnknownQueueError, which the app's filter answers with 404.
    const job = await this.taskQueues.get(queue).getJob(id);
    if (!job) {
      throw new NotFoundException(
        `No job '${id}' on queue '${queue}': it was never enqueued there, or retention removed it.`,
      );
    }
    return job;
  }
}
