// Scenario 8: scenario 1 (worker-scenarios.ts) on a private PostgreSQL server, the module's
// prefix as its schema. The tasks record their runs in a private Redis, apart from the store
// under test.
import { postgresFaults } from './fault-servers.js';
import { workerCrashScenario } from './worker-scenarios.js';

workerCrashScenario({ backend: postgresFaults, prefix: 'faults_pg', number: 8 });
