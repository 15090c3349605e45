// Scenarios 8 and 9: scenarios 1 and 2 (worker-scenarios.ts) on a private PostgreSQL server,
// the module's prefix as its schema. The tasks record their runs in a private Redis, apart from
// the store under test, so the records survive the PostgreSQL restart untouched.
import { postgresFaults } from './fault-servers.js';
import { workerScenarios } from './worker-scenarios.js';

workerScenarios({ backend: postgresFaults, prefix: 'faults_pg', numbers: [8, 9] });
