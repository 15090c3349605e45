import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { TaskQueues } from '@app/task-queue';
import { ProcessRequestPipe } from './process-request.pipe.js';
import type { ProcessDataPayload } from './shared.tasks.js';

/** `POST /process { userId }` enqueues `process_data` and answers with the job's id. */
@Controller('process')
export class ProcessController {
  constructor(private readonly taskQueues: TaskQueues) {}

  @Post()
  @HttpCode(202)
  async process(@Body(ProcessRequestPipe) body: ProcessDataPayload): Promise<{ jobId: string }> {
    const job = await this.taskQueues.get('default').enqueue('process_data', body);
    return { jobId: job.id };
  }
}
