import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module.js';
import { ProcessController } from './process.controller.js';
import { SharedTasks } from './shared.tasks.js';

/** Tasks used across domains, and the generic `POST /process` endpoint. */
@Module({
  imports: [DatabaseModule],
  controllers: [ProcessController],
  providers: [SharedTasks],
})
export class SharedModule {}
