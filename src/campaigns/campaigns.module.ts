import { Module } from '@nestjs/common';
import { CampaignsController } from './campaigns.controller.js';
import { CampaignsTasks } from './campaigns.tasks.js';

/** The campaigns domain. */
@Module({
  controllers: [CampaignsController],
  providers: [CampaignsTasks],
})
export class CampaignsModule {}
