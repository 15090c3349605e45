// Scenario 2 (worker-scenarios.ts) on a private redis-server: Redis restarted while jobs run.
import { redisFaults } from './fault-servers.js';
import { storeRestartScenario } from './worker-scenarios.js';

storeRestartScenario({ backend: redisFaults, prefix: 'faults', number: 2 });
