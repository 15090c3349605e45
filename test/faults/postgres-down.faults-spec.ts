// Scenario 10: scenario 3 (outage-scenario.ts) on a private PostgreSQL server, stopped under a
// running HTTP app and started again on the same port and data folder.
import { BackendUnavailableError } from '@app/task-queue';
import { postgresFaults } from './fault-servers.js';
import { outageScenario } from './outage-scenario.js';

outageScenario({
  backend: postgresFaults,
  number: 10,
  prefix: 'faults_pg_down',
  error: BackendUnavailableError,
});
