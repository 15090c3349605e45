import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module.js';
import { OnboardingTasks } from './onboarding.tasks.js';
import { SignupService } from './signup.service.js';
import { UsersController } from './users.controller.js';
import { UsersTasks } from './users.tasks.js';

/** The users domain: its tasks are providers like any other. */
@Module({
  imports: [DatabaseModule],
  controllers: [UsersController],
  providers: [UsersTasks, OnboardingTasks, SignupService],
})
export class UsersModule {}
