import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';

/** What operations watch: `GET /health` and `GET /metrics`. */
@Module({ controllers: [HealthController, MetricsController] })
export class OpsModule {}
