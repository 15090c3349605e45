// Scenario 9: scenario 2 (worker-scenarios.ts) on a private PostgreSQL server, the module's
// prefix as its schema. The tasks record their runs in a private Redis, apart from the store
// under test, so the records survive the PostgreSQL restart untouched.
import { postgresFaults } from './fault-servers.js';
import { storeRestartScenario } from './worker-scenarios.js';

storeRestartScenario({ backend: postgresFaults, prefix: 'faults_pg', number: 9 });
