import { Injectable, Logger } from '@nestjs/common';
import { ScheduledTask, type TaskContext } from '@app/task-queue';

/** Campaigns whose weekly figures the report covers (the example has no database). */
const CAMPAIGNS = ['spring-sale', 'newsletter', 'win-back'];

/** Tasks of the campaigns domain. */
@Injectable()
export class CampaignsTasks {
  private readonly logger = new Logger(CampaignsTasks.name);

  /** Mondays at 09:00 UTC: sends the weekly campaign report (here: logs one line a campaign). */
  @ScheduledTask({ name: 'weekly_report', cron: '0 9 * * 1', timeout: 1800 })
  async weeklyReport(_ctx: TaskContext) {
    const weekOf = new Date().toISOString().slice(0, 10);
    for (const campaign of CAMPAIGNS) {
      this.logger.log(`Weekly report of ${campaign}, week of ${weekOf}`);
    }
    return { sent: CAMPAIGNS.length, weekOf };
  }
}
