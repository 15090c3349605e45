import { Module } from '@nestjs/common';
import { UsersController } from './users.controller.js';
import { UsersTasks } from './users.tasks.js';

/** The users domain: its tasks are providers like any other. */
@Module({
  controllers: [UsersController],
  providers: [UsersTasks],
})
export class UsersModule {}
