import { Module } from '@nestjs/common';
import { TaskQueueModule } from '@app/task-queue';

@Module({
  imports: [
    TaskQueueModule.forRoot({ connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
  ],
})
export class AppModule {}
