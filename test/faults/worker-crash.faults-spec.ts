// Scenario 1 (worker-scenarios.ts) on a private redis-server: a worker process SIGKILLed
// mid-run.
import { redisFaults } from './fault-servers.js';
import { workerCrashScenario } from './worker-scenarios.js';

workerCrashScenario({ backend: redisFaults, prefix: 'faults', number: 1 });
