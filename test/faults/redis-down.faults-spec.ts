// Scenario 3 (outage-scenario.ts): Redis killed under a running HTTP app, and back.
import { RedisUnavailableError } from '@app/task-queue';
import { redisFaults } from './fault-servers.js';
import { outageScenario } from './outage-scenario.js';

outageScenario({ backend: redisFaults, number: 3, error: RedisUnavailableError });
