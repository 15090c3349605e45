// Scenarios 1 and 2 (worker-scenarios.ts) on a private redis-server: a worker process
// SIGKILLed mid-run, and Redis restarted while jobs run.
import { redisFaults } from './fault-servers.js';
import { workerScenarios } from './worker-scenarios.js';

workerScenarios({ backend: redisFaults, prefix: 'faults', numbers: [1, 2] });
