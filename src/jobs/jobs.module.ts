import { Module } from '@nestjs/common';
import { JobsController } from './jobs.controller.js';

/** Reading jobs back over HTTP. */
@Module({ controllers: [JobsController] })
export class JobsModule {}
